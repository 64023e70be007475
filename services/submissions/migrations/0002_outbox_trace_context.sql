-- The trace an event was committed in travels with it, so the signal joins the upload's trace.
ALTER TABLE outbox ADD COLUMN trace_context jsonb NOT NULL DEFAULT '{}'::jsonb;
