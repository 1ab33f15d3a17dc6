-- Discussions (threads and forum posts of initiative channels), their message
-- activity, and when initiatives were last nudged. Agora never stores message
-- content. Nudge opt-outs are dm_opt_outs rows of kind 'nudges' (001).
-- Initiatives are referenced by id without a foreign key, as in 002, so this area
-- does not depend on the directory's schema.
-- Times are Unix seconds (UTC) so ranges and hour buckets are plain integer math.

CREATE TABLE discussions (
    guild_id          INTEGER NOT NULL,
    thread_id         INTEGER NOT NULL,
    parent_channel_id INTEGER NOT NULL,
    initiative_id     INTEGER NOT NULL,
    name              TEXT    NOT NULL,
    -- NULL once the author asked Agora to forget them; the thread stays.
    author_id         INTEGER,
    created_at        INTEGER NOT NULL,
    archived          INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    locked            INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
    archived_at       INTEGER,
    deleted_at        INTEGER,
    -- Replies counted, like Discord's own message_count (the opening post excluded).
    message_count     INTEGER NOT NULL DEFAULT 0 CHECK (message_count >= 0),
    last_activity_at  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, thread_id)
);

CREATE INDEX discussions_by_initiative
    ON discussions (guild_id, initiative_id, deleted_at, archived, last_activity_at);
CREATE INDEX discussions_by_parent ON discussions (guild_id, parent_channel_id);
CREATE INDEX discussions_by_author ON discussions (guild_id, author_id);

-- Who posted in a thread; erased by /privacy forget (the thread's count stays).
CREATE TABLE discussion_participants (
    guild_id      INTEGER NOT NULL,
    thread_id     INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    message_count INTEGER NOT NULL DEFAULT 0,
    first_at      INTEGER NOT NULL,
    last_at       INTEGER NOT NULL,
    PRIMARY KEY (guild_id, thread_id, user_id),
    FOREIGN KEY (guild_id, thread_id) REFERENCES discussions (guild_id, thread_id)
        ON DELETE CASCADE
);

CREATE INDEX discussion_participants_by_user ON discussion_participants (guild_id, user_id);

-- Messages per thread per hour, for "most active this day/week/month".
CREATE TABLE discussion_activity (
    guild_id   INTEGER NOT NULL,
    thread_id  INTEGER NOT NULL,
    hour_start INTEGER NOT NULL,
    messages   INTEGER NOT NULL,
    PRIMARY KEY (guild_id, thread_id, hour_start),
    FOREIGN KEY (guild_id, thread_id) REFERENCES discussions (guild_id, thread_id)
        ON DELETE CASCADE
);

CREATE INDEX discussion_activity_by_hour ON discussion_activity (guild_id, hour_start);

-- When each initiative was last nudged, so a quiet one is nudged once per quiet period.
CREATE TABLE initiative_nudges (
    guild_id        INTEGER NOT NULL,
    initiative_id   INTEGER NOT NULL,
    last_nudged_at  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, initiative_id)
);
