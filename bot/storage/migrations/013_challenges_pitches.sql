-- 013: initiatives' pitches (/initiative pitch set) and the challenges initiatives face
-- (/challenge add), for pitch sessions and challenge workshops. Whoever wrote one is
-- forgotten like the authors of documents: set_by / added_by become NULL, the text stays.
CREATE TABLE initiative_pitches (
    initiative_id INTEGER PRIMARY KEY REFERENCES initiatives (id) ON DELETE CASCADE,
    guild_id INTEGER NOT NULL,
    body TEXT NOT NULL,                 -- at most 500 characters
    url TEXT NOT NULL DEFAULT '',       -- slides or a video; '' for none
    set_by INTEGER,
    set_at TEXT NOT NULL
);
CREATE INDEX initiative_pitches_set_by ON initiative_pitches (guild_id, set_by)
    WHERE set_by IS NOT NULL;

CREATE TABLE challenges (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    initiative_id INTEGER NOT NULL REFERENCES initiatives (id) ON DELETE CASCADE,
    title TEXT NOT NULL,                -- at most 100 characters
    description TEXT NOT NULL,          -- at most 1,000 characters
    added_by INTEGER,
    added_at TEXT NOT NULL
);
CREATE INDEX challenges_by_initiative ON challenges (guild_id, initiative_id, id);
CREATE INDEX challenges_added_by ON challenges (guild_id, added_by) WHERE added_by IS NOT NULL;
