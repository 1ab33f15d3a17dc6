-- 003 on PostgreSQL: 003_discussions.sql with bigint ids and Unix seconds.

CREATE TABLE discussions (
    guild_id          bigint   NOT NULL,
    thread_id         bigint   NOT NULL,
    parent_channel_id bigint   NOT NULL,
    initiative_id     bigint   NOT NULL,
    name              text     NOT NULL,
    author_id         bigint,
    created_at        bigint   NOT NULL,
    archived          smallint NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    locked            smallint NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
    archived_at       bigint,
    deleted_at        bigint,
    message_count     bigint   NOT NULL DEFAULT 0 CHECK (message_count >= 0),
    last_activity_at  bigint   NOT NULL,
    PRIMARY KEY (guild_id, thread_id)
);

CREATE INDEX discussions_by_initiative
    ON discussions (guild_id, initiative_id, deleted_at, archived, last_activity_at);
CREATE INDEX discussions_by_parent ON discussions (guild_id, parent_channel_id);
CREATE INDEX discussions_by_author ON discussions (guild_id, author_id);

CREATE TABLE discussion_participants (
    guild_id      bigint NOT NULL,
    thread_id     bigint NOT NULL,
    user_id       bigint NOT NULL,
    message_count bigint NOT NULL DEFAULT 0,
    first_at      bigint NOT NULL,
    last_at       bigint NOT NULL,
    PRIMARY KEY (guild_id, thread_id, user_id),
    FOREIGN KEY (guild_id, thread_id) REFERENCES discussions (guild_id, thread_id)
        ON DELETE CASCADE
);

CREATE INDEX discussion_participants_by_user ON discussion_participants (guild_id, user_id);

CREATE TABLE discussion_activity (
    guild_id   bigint NOT NULL,
    thread_id  bigint NOT NULL,
    hour_start bigint NOT NULL,
    messages   bigint NOT NULL,
    PRIMARY KEY (guild_id, thread_id, hour_start),
    FOREIGN KEY (guild_id, thread_id) REFERENCES discussions (guild_id, thread_id)
        ON DELETE CASCADE
);

CREATE INDEX discussion_activity_by_hour ON discussion_activity (guild_id, hour_start);

CREATE TABLE initiative_nudges (
    guild_id        bigint NOT NULL,
    initiative_id   bigint NOT NULL,
    last_nudged_at  bigint NOT NULL,
    PRIMARY KEY (guild_id, initiative_id)
);
