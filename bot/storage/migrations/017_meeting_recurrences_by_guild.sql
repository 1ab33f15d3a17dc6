-- A guild's series not past their last date, read without walking every guild's series:
-- the per-guild sweeps (scheduled events at start and hourly, /remind offsets) ask for
-- one guild's live meetings at a time.
CREATE INDEX meeting_recurrences_by_guild ON meeting_recurrences (guild_id, until_date);
