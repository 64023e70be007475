-- Special assessments: every imported version, immutable.
CREATE TABLE special_assessments (
    code         text        NOT NULL,
    version      integer     NOT NULL CHECK (version > 0),
    owner        text        NOT NULL,
    doc          jsonb       NOT NULL,
    sha256       text        NOT NULL,
    source_name  text        NOT NULL,
    imported_at  timestamptz NOT NULL DEFAULT now(),
    imported_by  text        NOT NULL,
    PRIMARY KEY (code, version)
);

-- The city's units; a cycle freezes its own copy when folded.
CREATE TABLE units (
    code        text        PRIMARY KEY,
    name        text        NOT NULL,
    kind        text        NOT NULL,
    group_code  text        NOT NULL,
    contact     text        NOT NULL DEFAULT '',
    head        text        NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Cycles: the plan as validated; once folded, the frozen catalogue never changes.
CREATE TABLE cycles (
    code              text        PRIMARY KEY,
    plan              jsonb       NOT NULL,
    state             text        NOT NULL CHECK (state IN ('created', 'folded')),
    created_at        timestamptz NOT NULL DEFAULT now(),
    created_by        text        NOT NULL,
    folded_at         timestamptz,
    catalogue         jsonb,
    catalogue_sha256  text
);

CREATE TABLE cycle_versions (
    cycle_code  text    NOT NULL REFERENCES cycles (code),
    sa_code     text    NOT NULL,
    version     integer NOT NULL,
    weight      double precision NOT NULL,
    PRIMARY KEY (cycle_code, sa_code),
    FOREIGN KEY (sa_code, version) REFERENCES special_assessments (code, version)
);

CREATE FUNCTION folded_cycle_is_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state = 'folded' THEN
        RAISE EXCEPTION 'cycle % is folded: its catalogue is frozen', OLD.code;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER cycles_frozen BEFORE UPDATE OR DELETE ON cycles
    FOR EACH ROW EXECUTE FUNCTION folded_cycle_is_frozen();
