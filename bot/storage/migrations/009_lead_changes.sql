-- 009: who made whom a lead of an initiative, and who ended it. A membership row is
-- one stint (joined, left); a lead appointed or stepping back stays in the same stint,
-- so each such change is a row here: the audit of /initiative lead add and remove.
-- Both people are forgotten like the rest of membership history: user_id and
-- actor_id become NULL, the dated row stays.
CREATE TABLE membership_role_changes (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    membership_id INTEGER NOT NULL REFERENCES memberships (id) ON DELETE CASCADE,
    initiative_id INTEGER NOT NULL REFERENCES initiatives (id) ON DELETE CASCADE,
    user_id INTEGER,                  -- whose role changed
    reason TEXT NOT NULL CHECK (reason IN ('lead_added', 'lead_removed')),
    actor_id INTEGER,                 -- who changed it
    changed_at TEXT NOT NULL
);
CREATE INDEX membership_role_changes_membership ON membership_role_changes (membership_id);
CREATE INDEX membership_role_changes_user ON membership_role_changes (guild_id, user_id)
    WHERE user_id IS NOT NULL;
CREATE INDEX membership_role_changes_actor ON membership_role_changes (guild_id, actor_id)
    WHERE actor_id IS NOT NULL;
