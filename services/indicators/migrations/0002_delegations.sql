-- Delegations: one person (delegate) may act for another (delegator) in a role for a period.
-- Granted and revoked by the office; never deleted (the trail names them years later).
CREATE TABLE delegations (
    delegation_id  text        PRIMARY KEY,
    delegate       text        NOT NULL,
    delegator      text        NOT NULL CHECK (delegator <> delegate),
    role           text        NOT NULL,
    starts_at      timestamptz NOT NULL,
    ends_at        timestamptz NOT NULL CHECK (ends_at > starts_at),
    reason         text        NOT NULL DEFAULT '',
    granted_by     text        NOT NULL,
    granted_at     timestamptz NOT NULL DEFAULT now(),
    revoked_at     timestamptz,
    revoked_by     text        NOT NULL DEFAULT ''
);

CREATE INDEX delegations_by_delegate ON delegations (delegate, delegator);
