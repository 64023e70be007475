-- Collection windows: one per cycle, set by the cycle workflow (OpenCollection/CloseCollection).
CREATE TABLE collection_windows (
    cycle_code  text        PRIMARY KEY,
    opens_at    timestamptz NOT NULL,
    deadline    timestamptz NOT NULL,
    closes_at   timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (opens_at < deadline AND deadline <= closes_at)
);

-- Approved extensions: a unit's own deadline and lock time, overriding the cycle's.
CREATE TABLE unit_extensions (
    cycle_code   text        NOT NULL REFERENCES collection_windows (cycle_code),
    unit_code    text        NOT NULL,
    deadline     timestamptz NOT NULL,
    closes_at    timestamptz NOT NULL,
    approved_by  text        NOT NULL,
    reason       text        NOT NULL,
    extended_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cycle_code, unit_code),
    CHECK (deadline <= closes_at)
);

-- One row per ask that has any submission: its version counter (and row lock) and summary.
CREATE TABLE asks (
    cycle_code             text        NOT NULL,
    unit_code              text        NOT NULL,
    evidence_key           text        NOT NULL,
    versions               integer     NOT NULL,
    current_submission_id  uuid        NOT NULL,
    first_submitted_at     timestamptz NOT NULL,
    latest_submitted_at    timestamptz NOT NULL,
    PRIMARY KEY (cycle_code, unit_code, evidence_key)
);

-- Every accepted upload: an immutable version of an ask, its bytes in the blob store by sha256.
CREATE TABLE submissions (
    id              uuid        PRIMARY KEY,
    cycle_code      text        NOT NULL,
    unit_code       text        NOT NULL,
    evidence_key    text        NOT NULL,
    version         integer     NOT NULL CHECK (version > 0),
    file_name       text        NOT NULL,
    format          text        NOT NULL,
    size_bytes      bigint      NOT NULL CHECK (size_bytes > 0),
    sha256          text        NOT NULL,
    effective_date  date,
    submitted_at    timestamptz NOT NULL,
    submitted_by    text        NOT NULL,
    UNIQUE (cycle_code, unit_code, evidence_key, version)
);
CREATE INDEX submissions_newest ON submissions (cycle_code, submitted_at DESC, id DESC);

CREATE FUNCTION submissions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'submissions are immutable';
END $$;

CREATE TRIGGER submissions_no_update BEFORE UPDATE OR DELETE ON submissions
    FOR EACH ROW EXECUTE FUNCTION submissions_immutable();

-- Units' extension requests; the decision is the cycle workflow's (it calls ExtendUnit).
CREATE TABLE extension_requests (
    id            uuid        PRIMARY KEY,
    cycle_code    text        NOT NULL,
    unit_code     text        NOT NULL,
    days          integer     NOT NULL CHECK (days BETWEEN 1 AND 60),
    reason        text        NOT NULL,
    requested_by  text        NOT NULL,
    requested_at  timestamptz NOT NULL
);

-- Events committed with the data they describe, relayed to Temporal as signals.
CREATE TABLE outbox (
    id               bigserial   PRIMARY KEY,
    workflow_id      text        NOT NULL,
    signal           text        NOT NULL,
    payload          jsonb       NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    last_error       text        NOT NULL DEFAULT '',
    delivered_at     timestamptz
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at, id) WHERE delivered_at IS NULL;

-- Every notification the workflows sent or attempted; the first record of an id wins.
CREATE TABLE notifications (
    id              text        PRIMARY KEY,
    cycle_code      text        NOT NULL,
    unit_code       text        NOT NULL,
    department      text        NOT NULL,
    recipient       text        NOT NULL,
    recipient_role  text        NOT NULL,
    kind            text        NOT NULL,
    channel         text        NOT NULL,
    outcome         text        NOT NULL,
    subject         text        NOT NULL,
    body            text        NOT NULL,
    evidence_keys   text[]      NOT NULL,
    at              timestamptz NOT NULL,
    error           text        NOT NULL,
    point           text        NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_by_cycle ON notifications (cycle_code, at, id);

-- Closed workflow histories exported for audits that come after Temporal's retention.
CREATE TABLE history_exports (
    workflow_id    text        NOT NULL,
    run_id         text        NOT NULL,
    workflow_type  text        NOT NULL,
    cycle_code     text        NOT NULL,
    unit_code      text        NOT NULL,
    close_time     timestamptz,
    event_count    integer     NOT NULL,
    sha256         text        NOT NULL,
    size_bytes     bigint      NOT NULL,
    exported_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workflow_id, run_id)
);
CREATE INDEX history_exports_by_cycle ON history_exports (cycle_code, workflow_id, close_time);
