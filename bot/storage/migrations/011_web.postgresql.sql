-- PostgreSQL's text of 011_web.sql: Discord ids and Unix seconds are bigint.

CREATE TABLE web_published_guilds (
    guild_id bigint PRIMARY KEY,
    published_at bigint NOT NULL
);

CREATE TABLE web_name_optins (
    guild_id bigint NOT NULL,
    user_id bigint NOT NULL,
    opted_in_at bigint NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);

CREATE TABLE web_meeting_revisions (
    meeting_id bigint PRIMARY KEY REFERENCES meetings (id) ON DELETE CASCADE,
    guild_id bigint NOT NULL,
    fingerprint text NOT NULL,
    sequence bigint NOT NULL CHECK (sequence >= 0),
    changed_at bigint NOT NULL
);
