"""Delegation (issue 12): the office grants an office clerk the right to act for the head of
office for a period; every service then accepts the clerk's calls made for the head (the
indicators service from its own records, the others through its CheckDelegation, cached),
signs them with both people, and refuses anyone acting for someone without a delegation.
Units' extension requests are capped per cycle, so the cycle workflow's state stays bounded."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from oneassess.client.channels import ServiceClients
from oneassess.contract.cycle import MAX_EXTENSIONS_PER_UNIT
from oneassess.indicators.v1 import delegation_service_pb2 as dpb
from oneassess.submissions.v1 import submissions_service_pb2 as spb
from services.common.auth import Role
from tests.conftest import token_for
from tests.support import submissions as s

HEAD, CLERK, OTHER = "zhang.wei", "li.na", "wang.fang"


def person(stack, subject: str, on_behalf_of: str = "", role: Role = Role.ADMIN, **scope):
    clients = ServiceClients(
        {name: stack.address(name) for name in stack.running},
        token_for(role, subject=subject, **scope),
        on_behalf_of=on_behalf_of,
    )
    stack._clients.append(clients)
    return clients


def _until(days: float) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(datetime.now(UTC) + timedelta(days=days))
    return stamp


async def test_a_clerk_acts_for_the_head_only_under_a_delegation(services_stack):
    stack = services_stack
    await s.fold_example(stack.admin)
    head = person(stack, HEAD)
    request = spb.CloseCollectionRequest(request_id=str(uuid.uuid4()), cycle_code=s.CYCLE)

    # Without a delegation, acting for the head is refused by every service, running nothing.
    clerk_for_head = person(stack, CLERK, on_behalf_of=HEAD)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await clerk_for_head.submissions.CloseCollection(request)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert f"{CLERK} holds no active delegation to act for {HEAD}" in err.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await clerk_for_head.delegations.ListDelegations(dpb.ListDelegationsRequest())
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED

    # Only the office grants; never to oneself.
    auditor = person(stack, "auditor-1", role=Role.AUDITOR)
    grant = dpb.GrantDelegationRequest(
        request_id=str(uuid.uuid4()), delegate=CLERK, delegator=HEAD, ends_at=_until(7)
    )
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await auditor.delegations.GrantDelegation(grant)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await head.delegations.GrantDelegation(
            dpb.GrantDelegationRequest(delegate=HEAD, delegator=HEAD, ends_at=_until(1))
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    granted = (await head.delegations.GrantDelegation(grant)).delegation
    assert (granted.delegate, granted.delegator, granted.granted_by) == (CLERK, HEAD, HEAD)
    again = (await head.delegations.GrantDelegation(grant)).delegation  # same request id
    assert again.delegation_id == granted.delegation_id

    # The clerk now acts for the head in the submissions service (asked through the peer RPC);
    # what it records names both.
    await s.open_window(stack.admin)
    closed = await person(stack, CLERK, on_behalf_of=HEAD).submissions.CloseCollection(request)
    assert closed.window.cycle_code == s.CYCLE
    actor = await stack.pool("submissions").fetchval(
        "SELECT actor FROM audit_log WHERE action LIKE 'collection.%closed%' ORDER BY seq DESC"
        " LIMIT 1"
    )
    assert actor == f"{CLERK} for {HEAD}"
    # Someone else still may not act for the head.
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await person(stack, OTHER, on_behalf_of=HEAD).submissions.CloseCollection(request)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED

    listed = await auditor.delegations.ListDelegations(dpb.ListDelegationsRequest(active_only=True))
    assert [d.delegation_id for d in listed.delegations] == [granted.delegation_id]

    # Revoked, the delegation ends at once in the indicators service, which records it.
    await head.delegations.RevokeDelegation(
        dpb.RevokeDelegationRequest(
            request_id=str(uuid.uuid4()), delegation_id=granted.delegation_id
        )
    )
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await person(stack, CLERK, on_behalf_of=HEAD).delegations.ListDelegations(
            dpb.ListDelegationsRequest()
        )
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    trail = await stack.pool("indicators").fetch(
        "SELECT actor, action FROM audit_log WHERE action LIKE 'delegation.%' ORDER BY seq"
    )
    assert [(r["actor"], r["action"]) for r in trail] == [
        (HEAD, "delegation.granted"),
        (HEAD, "delegation.revoked"),
    ]


async def test_a_unit_may_ask_for_more_time_only_so_often(services_stack):
    stack = services_stack
    await s.fold_example(stack.admin)
    await s.open_window(stack.admin)
    unit = stack.as_(Role.UNIT, unit=s.UNIT)

    def ask(n: int):
        return unit.submissions.RequestExtension(
            spb.RequestExtensionRequest(
                request_id=f"ext-{n}",
                cycle_code=s.CYCLE,
                unit_code=s.UNIT,
                days=3,
                reason="typhoon " * 100,
            )
        )

    for n in range(MAX_EXTENSIONS_PER_UNIT):
        await ask(n)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await ask(MAX_EXTENSIONS_PER_UNIT)
    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert f"at most {MAX_EXTENSIONS_PER_UNIT}" in err.value.details()
    pool = stack.pool("submissions")
    assert await pool.fetchval("SELECT count(*) FROM extension_requests") == MAX_EXTENSIONS_PER_UNIT
    # The whole reason stays in the service; the workflow hears its start.
    assert await pool.fetchval("SELECT max(length(reason)) FROM extension_requests") == 799
    longest = await pool.fetchval(
        "SELECT max(length(payload->>'reason')) FROM outbox WHERE signal = 'extension_requested'"
    )
    assert longest == 200
