-- Meetings, their programme, RSVPs, recurrence and reminders.
-- Instants are whole seconds since the epoch (UTC) next to the IANA zone name;
-- recurring rules keep their local wall-clock time so 09:00 stays 09:00 across DST.
-- Clusters and initiatives are referenced by id without a foreign key so this
-- area does not depend on the directory's schema.

CREATE TABLE meetings (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    timezone TEXT NOT NULL,
    location_kind TEXT NOT NULL DEFAULT 'none'
        CHECK (location_kind IN ('none', 'venue', 'online', 'channel')),
    location_name TEXT NOT NULL DEFAULT '',
    location_address TEXT NOT NULL DEFAULT '',
    location_url TEXT NOT NULL DEFAULT '',
    location_channel_id INTEGER,
    organiser_id INTEGER,
    attendee_cap INTEGER CHECK (attendee_cap IS NULL OR attendee_cap > 0),
    -- NULL: guild_settings.reminder_offsets, else the configured default; JSON seconds list.
    reminder_offsets TEXT,
    status TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX meetings_by_guild_start ON meetings (guild_id, starts_at);

CREATE TABLE meeting_recurrences (
    meeting_id INTEGER PRIMARY KEY REFERENCES meetings (id) ON DELETE CASCADE,
    guild_id INTEGER NOT NULL,
    frequency TEXT NOT NULL CHECK (frequency IN ('weekly', 'monthly')),
    interval INTEGER NOT NULL CHECK (interval >= 1),
    weekday INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    nth INTEGER CHECK (nth IS NULL OR nth IN (1, 2, 3, 4, -1)),
    local_time TEXT NOT NULL,          -- 'HH:MM:SS' wall clock in the meeting's zone
    first_date TEXT NOT NULL,          -- 'YYYY-MM-DD' local date of the first occurrence
    until_date TEXT,                   -- inclusive local date, NULL for no end
    duration_seconds INTEGER NOT NULL CHECK (duration_seconds > 0)
);

-- One row per changed occurrence of a recurring meeting, keyed by its rule start.
CREATE TABLE meeting_exceptions (
    meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    guild_id INTEGER NOT NULL,
    original_start INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('cancelled', 'moved')),
    starts_at INTEGER,
    ends_at INTEGER,
    PRIMARY KEY (meeting_id, original_start)
);

-- Scope: no rows means the whole community.
CREATE TABLE meeting_scopes (
    meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    guild_id INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('cluster', 'initiative')),
    ref_id INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, kind, ref_id)
);
CREATE INDEX meeting_scopes_by_ref ON meeting_scopes (guild_id, kind, ref_id);

CREATE TABLE meeting_sessions (
    id INTEGER PRIMARY KEY,
    meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    guild_id INTEGER NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    title TEXT NOT NULL,
    kind TEXT NOT NULL
        CHECK (kind IN ('plenary', 'pitch', 'challenge_workshop', 'cluster_workshop', 'other')),
    cluster_id INTEGER,
    initiative_id INTEGER,
    room TEXT NOT NULL DEFAULT ''
);
CREATE INDEX meeting_sessions_by_meeting ON meeting_sessions (meeting_id, starts_at);

-- user_id becomes NULL when a user asks to be forgotten: the count stays, the person goes.
CREATE TABLE meeting_rsvps (
    id INTEGER PRIMARY KEY,
    meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    guild_id INTEGER NOT NULL,
    user_id INTEGER,
    answer TEXT NOT NULL CHECK (answer IN ('going', 'maybe', 'declined', 'waitlist')),
    source TEXT NOT NULL CHECK (source IN ('button', 'event')),
    -- Orders the waitlist: the moment the answer last changed.
    answered_seq INTEGER NOT NULL,
    answered_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX meeting_rsvps_one_per_user ON meeting_rsvps (meeting_id, user_id);
CREATE INDEX meeting_rsvps_by_user ON meeting_rsvps (guild_id, user_id);

-- Discord scheduled events: occurrence_start 0 for a one-off meeting.
CREATE TABLE meeting_events (
    meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    guild_id INTEGER NOT NULL,
    occurrence_start INTEGER NOT NULL,
    event_id INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, occurrence_start)
);
CREATE UNIQUE INDEX meeting_events_by_event ON meeting_events (guild_id, event_id);

CREATE TABLE meeting_announcements (
    meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    guild_id INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    PRIMARY KEY (meeting_id, channel_id, message_id)
);

CREATE TABLE reminders (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
    session_id INTEGER REFERENCES meeting_sessions (id) ON DELETE SET NULL,
    kind TEXT NOT NULL CHECK (kind IN ('meeting', 'session', 'cancellation')),
    -- What the reminder is for, so reconciling finds "the same" reminder after an edit:
    -- e.g. 'm:<occurrence>:<offset>' or 's<session>:<occurrence>:<offset>'.
    slot TEXT NOT NULL,
    offset_seconds INTEGER NOT NULL,
    occurrence_start INTEGER NOT NULL,   -- start of what it announces (meeting, occurrence or session)
    due_at INTEGER NOT NULL,
    fire_at INTEGER NOT NULL,            -- due_at, or later when retrying after a failed send
    target_kind TEXT NOT NULL CHECK (target_kind IN ('meeting', 'cluster', 'initiative')),
    target_id INTEGER,
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'sending', 'sent', 'late_sent', 'skipped', 'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    sending_at INTEGER,
    finished_at INTEGER
);
-- At most one live reminder per slot: reconciling re-times it instead of adding another.
CREATE UNIQUE INDEX reminders_one_live_per_slot ON reminders (meeting_id, slot)
    WHERE state IN ('pending', 'sending');
CREATE INDEX reminders_live_by_fire ON reminders (fire_at) WHERE state IN ('pending', 'sending');
CREATE INDEX reminders_by_meeting ON reminders (meeting_id, state);

-- Guild-wide reminder offsets live in guild_settings.reminder_offsets (migration 001).
CREATE TABLE reminder_dm_optins (
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    opted_in_at INTEGER NOT NULL,
    PRIMARY KEY (guild_id, user_id)
);
