-- A signal Temporal refuses for good (over its payload size limit, an invalid argument) is a
-- dead letter: kept with its error, never retried, listed for the office (ListDeadLetters).
ALTER TABLE outbox ADD COLUMN dead_at timestamptz;
DROP INDEX outbox_pending;
CREATE INDEX outbox_pending ON outbox (next_attempt_at, id)
    WHERE delivered_at IS NULL AND dead_at IS NULL;
CREATE INDEX outbox_dead ON outbox (dead_at, id) WHERE dead_at IS NOT NULL;
