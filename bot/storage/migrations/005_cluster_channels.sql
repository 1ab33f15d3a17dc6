-- Each Action Cluster gets a channel of its own inside its category, for
-- cluster-wide talk, the weekly digest and cluster meeting announcements.
ALTER TABLE clusters ADD COLUMN channel_id INTEGER;
CREATE UNIQUE INDEX clusters_channel ON clusters (guild_id, channel_id)
    WHERE channel_id IS NOT NULL;
