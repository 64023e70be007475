"""DelegationService: who may act for whom, recorded by the indicators service.

The rule (documented in the proto): the assessment office grants and revokes delegations, for
office staff only: a delegation is always in the admin role (an office clerk acting for the
head of office), at most DELEGATION_MAX_DAYS long, between two different people. A delegate
acts within the delegator's role and scope, which for the office is the whole city. Grants and
revocations are appended to the audit log; nothing is ever deleted.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from oneassess.indicators.v1 import delegation_service_pb2 as pb
from oneassess.indicators.v1 import delegation_service_pb2_grpc as pb_grpc
from services.common import audit, idempotency
from services.common.auth import ADMIN_ONLY, AUDIT_READERS, Role, principal
from services.common.delegation import CACHE_SECONDS, MAX_SUBJECT, DelegationCheck
from services.common.errors import FailedPrecondition, InvalidArgument, NotFound
from services.common.paging import Keyset, page_size
from services.common.server import Runtime

POLICY = {
    "GrantDelegation": ADMIN_ONLY,
    "RevokeDelegation": ADMIN_ONLY,
    "ListDelegations": AUDIT_READERS,
    "CheckDelegation": frozenset({Role.SERVICE}),
}

DELEGATION_ROLE = Role.ADMIN.value
DELEGATION_MAX_DAYS = 366
MAX_REASON = 2000
PAGE = Keyset("delegations", datetime, str)  # granted_at, id (newest first)

_COLUMNS = (
    "delegation_id, delegate, delegator, role, starts_at, ends_at, reason, granted_by,"
    " granted_at, revoked_at, revoked_by"
)


def _ts(moment: datetime | None):
    from google.protobuf.timestamp_pb2 import Timestamp

    if moment is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def delegation_pb(row) -> pb.Delegation:
    return pb.Delegation(
        delegation_id=row["delegation_id"],
        delegate=row["delegate"],
        delegator=row["delegator"],
        role=row["role"],
        starts_at=_ts(row["starts_at"]),
        ends_at=_ts(row["ends_at"]),
        reason=row["reason"],
        granted_by=row["granted_by"],
        revoked_at=_ts(row["revoked_at"]),
        revoked_by=row["revoked_by"],
    )


async def active(
    conn: asyncpg.Connection | asyncpg.Pool, *, delegate: str, delegator: str, role: str
) -> str:
    """The id of an active delegation covering (delegate, delegator, role), or ""."""
    return (
        await conn.fetchval(
            "SELECT delegation_id FROM delegations WHERE delegate = $1 AND delegator = $2"
            " AND role = $3 AND revoked_at IS NULL AND starts_at <= now() AND ends_at > now()"
            " ORDER BY ends_at DESC LIMIT 1",
            delegate,
            delegator,
            role,
        )
        or ""
    )


def database_check(runtime: Runtime) -> DelegationCheck:
    """The interceptor's check in the indicators service itself: its own table."""

    async def check(delegate: str, delegator: str, role: str) -> bool:
        return bool(await active(runtime.pool, delegate=delegate, delegator=delegator, role=role))

    return check


def _subject(field: str, value: str) -> str:
    value = value.strip()
    if not value:
        raise InvalidArgument.field(field, "is required")
    if len(value) > MAX_SUBJECT:
        raise InvalidArgument.field(field, f"at most {MAX_SUBJECT} characters")
    return value


class DelegationServicer(pb_grpc.DelegationServiceServicer):
    def __init__(self, runtime: Runtime) -> None:
        self.pool = runtime.pool

    async def GrantDelegation(self, request, context):
        delegate = _subject("delegate", request.delegate)
        delegator = _subject("delegator", request.delegator)
        if delegate == delegator:
            raise InvalidArgument.field("delegator", "must differ from the delegate")
        if len(request.reason) > MAX_REASON:
            raise InvalidArgument.field("reason", f"at most {MAX_REASON} characters")
        now = datetime.now(UTC)
        starts = request.starts_at.ToDatetime(UTC) if request.HasField("starts_at") else now
        if not request.HasField("ends_at"):
            raise InvalidArgument.field("ends_at", "is required")
        ends = request.ends_at.ToDatetime(UTC)
        if ends <= max(starts, now):
            raise InvalidArgument.field("ends_at", "must be after starts_at and in the future")
        if ends - starts > timedelta(days=DELEGATION_MAX_DAYS):
            raise InvalidArgument.field("ends_at", f"at most {DELEGATION_MAX_DAYS} days long")
        caller = principal()

        async def work(conn):
            row = await conn.fetchrow(
                f"INSERT INTO delegations (delegation_id, delegate, delegator, role, starts_at,"
                f" ends_at, reason, granted_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                f" RETURNING {_COLUMNS}",
                f"dlg-{uuid.uuid4().hex[:12]}",
                delegate,
                delegator,
                DELEGATION_ROLE,
                starts,
                ends,
                request.reason,
                caller.signature,
            )
            await audit.append(
                conn,
                actor=caller.signature,
                action="delegation.granted",
                subject=row["delegation_id"],
                payload={
                    "delegate": delegate,
                    "delegator": delegator,
                    "role": DELEGATION_ROLE,
                    "starts_at": starts.isoformat(),
                    "ends_at": ends.isoformat(),
                    "reason": request.reason,
                },
            )
            return pb.GrantDelegationResponse(delegation=delegation_pb(row))

        return await idempotency.once(self.pool, request, pb.GrantDelegationResponse, work)

    async def RevokeDelegation(self, request, context):
        delegation_id = _subject("delegation_id", request.delegation_id)
        caller = principal()

        async def work(conn):
            row = await conn.fetchrow(
                f"SELECT {_COLUMNS} FROM delegations WHERE delegation_id = $1 FOR UPDATE",
                delegation_id,
            )
            if row is None:
                raise NotFound.of_field(
                    "delegation_id", f"no delegation {delegation_id!r}", "NO_DELEGATION"
                )
            if row["revoked_at"] is not None:
                raise FailedPrecondition.of_field(
                    "delegation_id", "was already revoked", "DELEGATION_REVOKED"
                )
            row = await conn.fetchrow(
                f"UPDATE delegations SET revoked_at = now(), revoked_by = $2"
                f" WHERE delegation_id = $1 RETURNING {_COLUMNS}",
                delegation_id,
                caller.signature,
            )
            await audit.append(
                conn,
                actor=caller.signature,
                action="delegation.revoked",
                subject=delegation_id,
                payload={"delegate": row["delegate"], "delegator": row["delegator"]},
            )
            return pb.RevokeDelegationResponse(delegation=delegation_pb(row))

        return await idempotency.once(self.pool, request, pb.RevokeDelegationResponse, work)

    async def ListDelegations(self, request, context):
        size = page_size(request.page_size, default=100, maximum=500)
        after = PAGE.decode(request.page_token)
        rows = await self.pool.fetch(
            f"SELECT {_COLUMNS} FROM delegations"
            " WHERE ($1 = '' OR delegate = $1)"
            " AND (NOT $2 OR (revoked_at IS NULL AND starts_at <= now() AND ends_at > now()))"
            " AND ($3::timestamptz IS NULL OR (granted_at, delegation_id) < ($3, $4))"
            " ORDER BY granted_at DESC, delegation_id DESC LIMIT $5",
            request.delegate,
            request.active_only,
            after[0] if after else None,
            after[1] if after else "",
            size + 1,
        )
        page, token = PAGE.page(rows, size, lambda r: (r["granted_at"], r["delegation_id"]))
        return pb.ListDelegationsResponse(
            delegations=[delegation_pb(r) for r in page], next_page_token=token
        )

    async def CheckDelegation(self, request, context):
        found = await active(
            self.pool,
            delegate=request.delegate[:MAX_SUBJECT],
            delegator=request.delegator[:MAX_SUBJECT],
            role=request.role[:MAX_SUBJECT],
        )
        return pb.CheckDelegationResponse(
            active=bool(found), delegation_id=found, cache_seconds=int(CACHE_SECONDS)
        )
