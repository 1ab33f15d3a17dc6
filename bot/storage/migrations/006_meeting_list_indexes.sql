-- /meeting list reads "not over yet" meetings by their end and a cluster's or an
-- initiative's meetings through its sessions without walking every meeting.
CREATE INDEX meetings_by_guild_end ON meetings (guild_id, ends_at);
CREATE INDEX meeting_sessions_by_cluster ON meeting_sessions (cluster_id)
    WHERE cluster_id IS NOT NULL;
CREATE INDEX meeting_sessions_by_initiative ON meeting_sessions (initiative_id)
    WHERE initiative_id IS NOT NULL;
