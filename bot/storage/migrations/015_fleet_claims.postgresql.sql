-- Work that must happen once across the fleet of Agora processes is claimed in the
-- database with a lease (docs/architecture.md, "Exactly once across the fleet").
--
-- Timer rows (reminders, outcome timers) and poll deadlines: who holds the claim
-- (``ShardScope.worker_id``) and until when (Unix seconds). A "sending" row (a closed,
-- unannounced poll) is taken by another process only once its lease has passed.
ALTER TABLE reminders ADD COLUMN claimed_by text;
ALTER TABLE reminders ADD COLUMN lease_until bigint;
ALTER TABLE outcome_timers ADD COLUMN claimed_by text;
ALTER TABLE outcome_timers ADD COLUMN lease_until bigint;
ALTER TABLE polls ADD COLUMN claimed_by text;
ALTER TABLE polls ADD COLUMN lease_until bigint;
ALTER TABLE polls ADD COLUMN attempts bigint NOT NULL DEFAULT 0;

-- Claimed before leases existed (by the one process there was): free at once.
UPDATE reminders SET lease_until = 0 WHERE state = 'sending';
UPDATE outcome_timers SET lease_until = 0 WHERE state = 'sending';
UPDATE polls SET lease_until = 0 WHERE state = 'closed' AND announced = 0;

-- The few claimed rows, by the end of their lease (the dispatcher's next wake-up); due
-- rows stay an index scan of the *_live_by_fire indexes.
CREATE INDEX reminders_claimed ON reminders (lease_until) WHERE state = 'sending';
CREATE INDEX outcome_timers_claimed ON outcome_timers (lease_until) WHERE state = 'sending';
CREATE INDEX polls_unannounced ON polls (lease_until) WHERE state = 'closed' AND announced = 0;

-- Named runs that happen once across the fleet: a guild's weekly digest
-- ('digest:<guild>:<ISO week>'), its daily nudges ('nudges:<guild>:<date>'). Taken by
-- one process at a time (holder, until lease_until); never again once done_at is set.
CREATE TABLE fleet_claims (
    key text PRIMARY KEY,
    holder text NOT NULL,
    lease_until bigint NOT NULL,
    claimed_at bigint NOT NULL,
    done_at bigint
);
CREATE INDEX fleet_claims_done ON fleet_claims (done_at) WHERE done_at IS NOT NULL;
