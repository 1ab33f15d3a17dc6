-- Who asked to be forgotten, without keeping who: per guild, a keyed hash of the
-- user id (HMAC-SHA256 with a random per-database secret, bot/storage/forgotten.py)
-- and when. Start-up and reconnect catch-ups consult it so that re-reading Discord
-- (roles held, "Interested" marks, thread owners) does not record the person again.
-- One row per area, so a live action can lift the tombstone of its own area only
-- (see docs/commands-discussions.md, "Privacy").
CREATE TABLE forget_secret (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    secret BLOB NOT NULL CHECK (length(secret) = 32)
);

CREATE TABLE forgotten_members (
    guild_id INTEGER NOT NULL,
    user_hash BLOB NOT NULL CHECK (length(user_hash) = 32),
    area TEXT NOT NULL CHECK (area IN ('memberships', 'meetings', 'discussions')),
    forgotten_at INTEGER NOT NULL,  -- Unix seconds: the end of the UTC day of forgetting
    PRIMARY KEY (guild_id, user_hash, area)
) WITHOUT ROWID;
