-- The relay sends the evidence rows of one unit workflow as one signal. A row keeps the batch
-- it was first leased in, so a batch sent again (after a crash, a failed attempt) holds the
-- same rows and Temporal drops the copy by its request id.
ALTER TABLE outbox ADD COLUMN batch_id uuid;
-- A claim completes the leased batches it touched: found by batch among pending rows.
CREATE INDEX outbox_pending_batches ON outbox (batch_id)
    WHERE batch_id IS NOT NULL AND delivered_at IS NULL AND dead_at IS NULL;
