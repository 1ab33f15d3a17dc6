-- 004 on PostgreSQL: bot_state with a timestamptz.
CREATE TABLE bot_state (
    key text PRIMARY KEY,
    value text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
