-- 001: the core directory (clusters, initiatives), memberships with history,
-- documents and projects, and per-guild settings.
--
-- Every table is keyed by guild_id: one Agora serves many servers. Discord
-- snowflakes are INTEGERs. Times are ISO 8601 UTC text ("2026-01-31T09:00:00+00:00").

-- Settings that matter get a column; everything else goes to guild_setting_values.
CREATE TABLE guild_settings (
    guild_id INTEGER PRIMARY KEY,
    timezone TEXT,                    -- NULL: the community timezone from config
    announcement_channel_id INTEGER,  -- NULL: found by name from config
    organiser_role_id INTEGER,        -- NULL: found by name from config
    reminder_offsets TEXT,            -- JSON list of seconds; NULL: config default
    updated_at TEXT NOT NULL
);

CREATE TABLE guild_setting_values (
    guild_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,              -- JSON
    updated_at TEXT NOT NULL,
    PRIMARY KEY (guild_id, key)
) WITHOUT ROWID;

-- A row means "do not DM this user about <kind>" ('all', 'reminders', 'digest', ...).
CREATE TABLE dm_opt_outs (
    guild_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (guild_id, user_id, kind)
) WITHOUT ROWID;

CREATE TABLE clusters (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    category_channel_id INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (guild_id, slug)
);
CREATE UNIQUE INDEX clusters_name ON clusters (guild_id, name COLLATE NOCASE);
CREATE INDEX clusters_category ON clusters (guild_id, category_channel_id)
    WHERE category_channel_id IS NOT NULL;

CREATE TABLE initiatives (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    title_missing INTEGER NOT NULL DEFAULT 0 CHECK (title_missing IN (0, 1)),
    goal TEXT NOT NULL DEFAULT '',
    goal_truncated INTEGER NOT NULL DEFAULT 0 CHECK (goal_truncated IN (0, 1)),
    cluster_id INTEGER NOT NULL REFERENCES clusters (id) ON DELETE RESTRICT,
    channel_id INTEGER,
    role_id INTEGER,
    -- Counts as listed by the source (informational); NULL: not given.
    source_members INTEGER,
    source_documents INTEGER,
    source_projects INTEGER,
    source_discussions INTEGER,
    source_note TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (guild_id, slug)
);
CREATE UNIQUE INDEX initiatives_name ON initiatives (guild_id, name COLLATE NOCASE);
CREATE INDEX initiatives_cluster ON initiatives (cluster_id, name);
CREATE UNIQUE INDEX initiatives_channel ON initiatives (guild_id, channel_id)
    WHERE channel_id IS NOT NULL;
CREATE UNIQUE INDEX initiatives_role ON initiatives (guild_id, role_id)
    WHERE role_id IS NOT NULL;

-- Full-text search over name + goal, an external-content table kept in sync by triggers.
CREATE VIRTUAL TABLE initiatives_fts USING fts5 (
    name, goal,
    content = 'initiatives', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER initiatives_fts_insert AFTER INSERT ON initiatives BEGIN
    INSERT INTO initiatives_fts (rowid, name, goal) VALUES (new.id, new.name, new.goal);
END;
CREATE TRIGGER initiatives_fts_delete AFTER DELETE ON initiatives BEGIN
    INSERT INTO initiatives_fts (initiatives_fts, rowid, name, goal)
        VALUES ('delete', old.id, old.name, old.goal);
END;
CREATE TRIGGER initiatives_fts_update AFTER UPDATE OF name, goal ON initiatives BEGIN
    INSERT INTO initiatives_fts (initiatives_fts, rowid, name, goal)
        VALUES ('delete', old.id, old.name, old.goal);
    INSERT INTO initiatives_fts (rowid, name, goal) VALUES (new.id, new.name, new.goal);
END;

-- One row per stint: the current membership is the row with left_at NULL; ended
-- rows are the history. A forgotten user's rows keep their dates with user_id NULL.
CREATE TABLE memberships (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    initiative_id INTEGER NOT NULL REFERENCES initiatives (id) ON DELETE CASCADE,
    user_id INTEGER,
    role TEXT NOT NULL CHECK (role IN ('member', 'lead')),
    joined_at TEXT NOT NULL,
    join_reason TEXT NOT NULL
        CHECK (join_reason IN ('joined', 'role_added', 'appointed', 'imported')),
    left_at TEXT,
    left_reason TEXT
        CHECK (left_reason IN ('left', 'role_removed', 'left_server', 'removed', 'forgotten')),
    CHECK ((left_at IS NULL) = (left_reason IS NULL))
);
CREATE UNIQUE INDEX memberships_current ON memberships (initiative_id, user_id)
    WHERE left_at IS NULL;
CREATE INDEX memberships_listing ON memberships (initiative_id, role, joined_at)
    WHERE left_at IS NULL;
CREATE INDEX memberships_user ON memberships (guild_id, user_id, joined_at);

-- Documents and projects share one shape; kind tells them apart.
CREATE TABLE resources (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    initiative_id INTEGER NOT NULL REFERENCES initiatives (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('document', 'project')),
    title TEXT NOT NULL,
    url TEXT NOT NULL,
    added_by INTEGER,                 -- NULL once the author asked to be forgotten
    added_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (initiative_id, kind, url)
);
CREATE INDEX resources_listing ON resources (initiative_id, kind, added_at);
CREATE INDEX resources_author ON resources (guild_id, added_by) WHERE added_by IS NOT NULL;
