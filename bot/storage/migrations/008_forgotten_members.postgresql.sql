-- 008 on PostgreSQL: the forget secret and tombstones as bytea.
CREATE TABLE forget_secret (
    id integer PRIMARY KEY CHECK (id = 1),
    secret bytea NOT NULL CHECK (octet_length(secret) = 32)
);

CREATE TABLE forgotten_members (
    guild_id bigint NOT NULL,
    user_hash bytea NOT NULL CHECK (octet_length(user_hash) = 32),
    area text NOT NULL CHECK (area IN ('memberships', 'meetings', 'discussions')),
    forgotten_at bigint NOT NULL,
    PRIMARY KEY (guild_id, user_hash, area)
);
