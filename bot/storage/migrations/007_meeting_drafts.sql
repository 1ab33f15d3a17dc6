-- What /meeting create collected before its form (title, description) was sent: the
-- form is answered against this row, so a restart while it is open loses nothing.
-- Rows are dropped when the form is answered, and after a few hours unanswered.
CREATE TABLE meeting_drafts (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    draft TEXT NOT NULL,  -- JSON, written and read by bot/services/meeting_drafts.py
    created_at INTEGER NOT NULL
);
CREATE INDEX meeting_drafts_by_user ON meeting_drafts (guild_id, user_id);
