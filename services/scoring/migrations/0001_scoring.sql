-- The scoring service's data: reviews, tolerance claims, appeals and score runs.
-- Reviews, claim decisions and score rows are append-only: a change is a new row.

CREATE FUNCTION append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;

-- Every revision of every review; the latest revision of a (unit, indicator) counts.
CREATE TABLE reviews (
    id              bigserial   PRIMARY KEY,
    cycle_code      text        NOT NULL,
    unit_code       text        NOT NULL,
    sa_code         text        NOT NULL,
    indicator_code  text        NOT NULL,
    revision        integer     NOT NULL CHECK (revision > 0),
    method          text        NOT NULL,
    input           text        NOT NULL,  -- JSON, as shown: {"value": "0.95"} (text: written by COPY)
    judgement       text        NOT NULL,  -- canonical: millionths, grade letter, items met, true/false
    comment         text        NOT NULL DEFAULT '',
    reviewed_by     text        NOT NULL,
    reviewed_at     timestamptz NOT NULL DEFAULT now(),
    source          text        NOT NULL,  -- rpc, import:<file>, appeal:<id>
    UNIQUE (cycle_code, unit_code, sa_code, indicator_code, revision)
);
CREATE TRIGGER reviews_append_only BEFORE UPDATE OR DELETE ON reviews
    FOR EACH ROW EXECUTE FUNCTION append_only();

-- Tolerance claims (容错申请) and the indicators they name.
CREATE TABLE claims (
    id             bigserial   PRIMARY KEY,
    cycle_code     text        NOT NULL,
    unit_code      text        NOT NULL,
    category       text        NOT NULL,
    category_name  text        NOT NULL,
    description    text        NOT NULL,
    prefiling      boolean     NOT NULL,
    act_date       date,
    filed_by       text        NOT NULL,
    filed_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX claims_by_cycle ON claims (cycle_code, unit_code);

CREATE TABLE claim_indicators (
    claim_id        bigint NOT NULL REFERENCES claims (id),
    sa_code         text   NOT NULL,
    indicator_code  text   NOT NULL,
    owner           text   NOT NULL,  -- line department that decides it
    position        integer NOT NULL,
    PRIMARY KEY (claim_id, sa_code, indicator_code)
);

-- One decision per claimed indicator, by its owning assessor.
CREATE TABLE claim_decisions (
    id              bigserial   PRIMARY KEY,
    claim_id        bigint      NOT NULL,
    sa_code         text        NOT NULL,
    indicator_code  text        NOT NULL,
    approved        boolean     NOT NULL,
    reason          text        NOT NULL,
    decided_by      text        NOT NULL,
    decided_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (claim_id, sa_code, indicator_code),
    FOREIGN KEY (claim_id, sa_code, indicator_code) REFERENCES claim_indicators (claim_id, sa_code, indicator_code)
);
CREATE TRIGGER claim_decisions_append_only BEFORE UPDATE OR DELETE ON claim_decisions
    FOR EACH ROW EXECUTE FUNCTION append_only();

-- The submission times a run used (a snapshot of ListAskTimes), stored once per content hash.
CREATE TABLE ask_snapshots (
    sha256      text        PRIMARY KEY,
    cycle_code  text        NOT NULL,
    deadline    timestamptz NOT NULL,
    extended    jsonb       NOT NULL,  -- unit -> deadline (ISO 8601)
    asks        integer     NOT NULL,
    taken_at    timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE ask_snapshot_times (
    sha256              text        NOT NULL,
    unit_code           text        NOT NULL,
    evidence_key        text        NOT NULL,
    first_submitted_at  timestamptz NOT NULL
);
CREATE INDEX ask_snapshot_times_by_sha ON ask_snapshot_times (sha256);

-- One computation of a cycle's scores and everything needed to recompute it (`recipe`).
CREATE TABLE score_runs (
    id                bigserial   PRIMARY KEY,
    cycle_code        text        NOT NULL,
    run               integer     NOT NULL CHECK (run > 0),
    trigger           text        NOT NULL,  -- compute, appeal:<id>
    units             integer     NOT NULL,
    indicator_scores  bigint      NOT NULL,
    inputs_sha256     text        NOT NULL,
    results_sha256    text        NOT NULL,
    recipe            jsonb       NOT NULL,
    computed_at       timestamptz NOT NULL DEFAULT now(),
    computed_by       text        NOT NULL,
    published_at      timestamptz,
    appeal_deadline   timestamptz,
    finalized_at      timestamptz,
    UNIQUE (cycle_code, run)
);

-- Per run, every unit: composite (exact "n/d" and rounded), rank, tier. `detail_run_id`
-- is the run whose indicator and special assessment rows hold this unit's detail (an
-- appeal's run stores detail only for the units it changed).
CREATE TABLE unit_scores (
    run_id         bigint  NOT NULL REFERENCES score_runs (id),
    unit_code      text    NOT NULL,
    group_code     text    NOT NULL,
    kind           text    NOT NULL,
    composite      text    NOT NULL,
    composite_e4   bigint  NOT NULL,
    bonus          text    NOT NULL,
    vetoed         boolean NOT NULL,
    unreviewed     integer NOT NULL,
    rank           integer NOT NULL,
    group_size     integer NOT NULL,
    tier           text    NOT NULL,
    detail_run_id  bigint  NOT NULL,
    PRIMARY KEY (run_id, unit_code)
);

CREATE TABLE sa_scores (
    run_id     bigint NOT NULL,
    unit_code  text   NOT NULL,
    sa_code    text   NOT NULL,
    weight     text   NOT NULL,
    earned     text   NOT NULL,  -- exact sum of indicator scores, "n/d"
    possible   text   NOT NULL,  -- sum of points, "n/d"
    score_e4   bigint NOT NULL
);
CREATE INDEX sa_scores_by_unit ON sa_scores (run_id, unit_code);

-- Scores in 1/10000 points. adjustment: JSON of missing evidence, lateness, tolerance (null:
-- none); text, not jsonb, because the rows are written with binary COPY.
CREATE TABLE indicator_scores (
    run_id          bigint NOT NULL,
    unit_code       text   NOT NULL,
    sa_code         text   NOT NULL,
    indicator_code  text   NOT NULL,
    score_e4        bigint NOT NULL,
    base_e4         bigint NOT NULL,
    review_id       bigint,
    adjustment      text
);
CREATE INDEX indicator_scores_by_unit ON indicator_scores (run_id, unit_code);

-- Appeals (申诉) against published indicator scores.
CREATE TABLE appeals (
    id               bigserial   PRIMARY KEY,
    cycle_code       text        NOT NULL,
    unit_code        text        NOT NULL,
    sa_code          text        NOT NULL,
    indicator_code   text        NOT NULL,
    reason           text        NOT NULL,
    filed_by         text        NOT NULL,
    filed_at         timestamptz NOT NULL DEFAULT now(),
    run_id           bigint      NOT NULL REFERENCES score_runs (id),
    score_before_e4  bigint      NOT NULL,
    state            text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'upheld', 'adjusted')),
    decided_by       text,
    decided_at       timestamptz,
    decision_reason  text,
    score_after_e4   bigint,
    adjusted_run_id  bigint REFERENCES score_runs (id),
    review_id        bigint REFERENCES reviews (id)
);
CREATE UNIQUE INDEX appeals_one_pending ON appeals (cycle_code, unit_code, sa_code, indicator_code)
    WHERE state = 'pending';

-- Readable views for auditors working in SQL.
CREATE VIEW indicator_scores_readable AS
    SELECT r.cycle_code, r.run, s.unit_code, s.sa_code, s.indicator_code,
           s.score_e4 / 10000.0 AS score, s.base_e4 / 10000.0 AS base, s.review_id, s.adjustment::jsonb AS adjustment
    FROM indicator_scores s JOIN score_runs r ON r.id = s.run_id;
