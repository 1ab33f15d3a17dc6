-- Small facts Agora keeps about itself, such as the hash of the command set
-- last synced to each target, so a restart does not re-sync needlessly.
CREATE TABLE bot_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
