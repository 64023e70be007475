-- The chain's head, read after the chain's lock is taken, in one round trip. A VOLATILE
-- PL/pgSQL function takes a fresh snapshot for each statement it runs, so the head it reads
-- includes an append committed while it waited for the lock; one plain SQL statement would
-- read with the snapshot it started with (from before the wait) and fork the chain.
CREATE FUNCTION audit_lock_head(OUT head_seq bigint, OUT head_hash text)
    LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    -- One chain per schema: services sharing a database do not wait on each other's appends.
    PERFORM pg_advisory_xact_lock(hashtext('oneassess.audit.' || current_schema()));
    SELECT a.seq, a.hash INTO head_seq, head_hash FROM audit_log a ORDER BY a.seq DESC LIMIT 1;
END $$;
