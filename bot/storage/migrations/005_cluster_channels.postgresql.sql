-- 005 on PostgreSQL: the cluster's own channel, a bigint.
ALTER TABLE clusters ADD COLUMN channel_id bigint;
CREATE UNIQUE INDEX clusters_channel ON clusters (guild_id, channel_id)
    WHERE channel_id IS NOT NULL;
