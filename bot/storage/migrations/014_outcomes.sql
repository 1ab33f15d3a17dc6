-- Outcomes of meetings: decisions, actions, links and notes recorded with /outcome add,
-- the threads Agora opens for them when a meeting ends, and the durable timers that open
-- those threads, post the summary and remind an action's owner (sent by the reminder
-- dispatcher like meeting reminders). Instants are Unix seconds; a due date is its ISO
-- text ('YYYY-MM-DD') in ``timezone``.

CREATE TABLE outcomes (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    -- NULL: the meeting as a whole (or its session was removed).
    session_id INTEGER REFERENCES meeting_sessions (id) ON DELETE SET NULL,
    kind TEXT NOT NULL CHECK (kind IN ('decision', 'action', 'link', 'note')),
    text TEXT NOT NULL,
    url TEXT NOT NULL DEFAULT '',
    -- NULL once the person asked to be forgotten; an action then keeps its text.
    added_by INTEGER,
    added_at INTEGER NOT NULL,
    owner_id INTEGER,
    due_at INTEGER,
    due_date TEXT,
    timezone TEXT NOT NULL DEFAULT '',
    done_at INTEGER,
    done_by_user_id INTEGER
);
CREATE INDEX outcomes_by_meeting ON outcomes (meeting_id, id);
CREATE INDEX outcomes_open_actions ON outcomes (guild_id, due_at)
    WHERE kind = 'action' AND done_at IS NULL;
CREATE INDEX outcomes_by_owner ON outcomes (guild_id, owner_id) WHERE owner_id IS NOT NULL;
CREATE INDEX outcomes_by_author ON outcomes (guild_id, added_by) WHERE added_by IS NOT NULL;

-- One thread per meeting (session_id 0) and per session with a cluster or initiative.
CREATE TABLE outcome_threads (
    meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    guild_id INTEGER NOT NULL,
    session_id INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    thread_id INTEGER NOT NULL,
    opened_at INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, session_id)
);

CREATE TABLE outcome_timers (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    outcome_id INTEGER REFERENCES outcomes (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('threads', 'summary', 'action_soon', 'action_due')),
    -- What the timer is for: 'threads', 'summary', 'a<outcome>:soon', 'a<outcome>:due'.
    slot TEXT NOT NULL,
    due_at INTEGER NOT NULL,
    fire_at INTEGER NOT NULL,        -- due_at, or later when retrying after a failed send
    stale_at INTEGER NOT NULL,       -- fallen due while Agora was down: skipped after this
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'sending', 'sent', 'late_sent', 'skipped', 'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    sending_at INTEGER,
    finished_at INTEGER
);
CREATE UNIQUE INDEX outcome_timers_one_live_per_slot ON outcome_timers (meeting_id, slot)
    WHERE state IN ('pending', 'sending');
CREATE INDEX outcome_timers_live_by_fire ON outcome_timers (fire_at)
    WHERE state IN ('pending', 'sending');
CREATE INDEX outcome_timers_by_outcome ON outcome_timers (outcome_id, state);
CREATE INDEX outcome_timers_by_meeting ON outcome_timers (meeting_id, state);
