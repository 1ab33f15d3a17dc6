-- Availability polls (/poll): candidate times for a meeting, each answered Yes / If need
-- be / No per member. Instants are whole seconds since the epoch (UTC) beside the IANA
-- zone they were typed in, as for meetings. Clusters and initiatives are referenced by id
-- without a foreign key, as in meeting_scopes.
CREATE TABLE polls (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    title TEXT NOT NULL,
    timezone TEXT NOT NULL,
    organiser_id INTEGER,                 -- NULL once the organiser asked to be forgotten
    length_seconds INTEGER NOT NULL CHECK (length_seconds > 0),
    closes_at INTEGER,                    -- NULL: closed by hand (/poll close)
    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    closed_at INTEGER,
    -- The result was posted (and the DMs sent): a poll closed but not announced when
    -- Agora stopped is announced at start, with the same nonces.
    announced INTEGER NOT NULL DEFAULT 0 CHECK (announced IN (0, 1)),
    created_at INTEGER NOT NULL
);
CREATE INDEX polls_by_guild ON polls (guild_id, state, id);
CREATE INDEX polls_open_by_close ON polls (state, closes_at);

-- Scope: no rows means the whole community.
CREATE TABLE poll_scopes (
    poll_id INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    guild_id INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('cluster', 'initiative')),
    ref_id INTEGER NOT NULL,
    PRIMARY KEY (poll_id, kind, ref_id)
);

-- The candidate times, numbered from 1 in time order.
CREATE TABLE poll_slots (
    poll_id INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    guild_id INTEGER NOT NULL,
    position INTEGER NOT NULL CHECK (position BETWEEN 1 AND 10),
    starts_at INTEGER NOT NULL,
    PRIMARY KEY (poll_id, position)
);

-- One answer per member and slot. user_id becomes NULL when a member asks to be
-- forgotten after the poll closed: the tally stays, the person goes (answers to open
-- polls are withdrawn instead).
CREATE TABLE poll_answers (
    id INTEGER PRIMARY KEY,
    poll_id INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    guild_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    user_id INTEGER,
    answer TEXT NOT NULL CHECK (answer IN ('yes', 'maybe', 'no')),
    answered_at INTEGER NOT NULL,
    UNIQUE (poll_id, position, user_id)
);
CREATE INDEX poll_answers_by_user ON poll_answers (guild_id, user_id);

-- The messages showing a poll (in each channel, one per five slots), edited as answers
-- come in.
CREATE TABLE poll_messages (
    message_id INTEGER PRIMARY KEY,
    poll_id INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    guild_id INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    part INTEGER NOT NULL CHECK (part >= 0)
);
CREATE INDEX poll_messages_by_poll ON poll_messages (poll_id);
