"""Who may call the cycle control and delegation RPCs (issue 12): every role that is not
allowed gets PERMISSION_DENIED before anything runs; the allowed ones get past authorisation
(here Temporal is unreachable, so a control call is UNAVAILABLE, never PERMISSION_DENIED)."""

from __future__ import annotations

import grpc
import pytest

from oneassess.client.channels import ServiceClients
from oneassess.indicators.v1 import cycle_control_service_pb2 as cc
from oneassess.indicators.v1 import delegation_service_pb2 as dpb
from services.common.auth import Role
from services.indicators import cycle_control, delegations
from tests.conftest import token_for

CYCLE = "haizhou-2026"
ROLES = {
    Role.ADMIN: {},
    Role.AUDITOR: {},
    Role.SERVICE: {},
    Role.ASSESSOR: {"department": "work-safety"},
    Role.UNIT: {"unit": "baiquan-town"},
}
CALLS = {
    "StartCycle": ("cycles", cc.StartCycleRequest(cycle_code=CYCLE)),
    "GetCycleStatus": ("cycles", cc.GetCycleStatusRequest(cycle_code=CYCLE)),
    "ChangeCalendar": ("cycles", cc.ChangeCalendarRequest(cycle_code=CYCLE)),
    "CloseCollection": ("cycles", cc.CloseCollectionRequest(cycle_code=CYCLE)),
    "CloseReviewing": ("cycles", cc.CloseReviewingRequest(cycle_code=CYCLE)),
    "GrantExtension": ("cycles", cc.GrantExtensionRequest(cycle_code=CYCLE, unit_code="x")),
    "DecideExtension": ("cycles", cc.DecideExtensionRequest(cycle_code=CYCLE, unit_code="x")),
    "GetUnitTimeline": (
        "cycles",
        cc.GetUnitTimelineRequest(cycle_code=CYCLE, unit_code="baiquan-town"),
    ),
    "GrantDelegation": ("delegations", dpb.GrantDelegationRequest(delegate="a", delegator="b")),
    "RevokeDelegation": ("delegations", dpb.RevokeDelegationRequest(delegation_id="dlg-x")),
    "ListDelegations": ("delegations", dpb.ListDelegationsRequest()),
    "CheckDelegation": ("delegations", dpb.CheckDelegationRequest(delegate="a", delegator="b")),
}
POLICY = {**cycle_control.POLICY, **delegations.POLICY}


def test_every_rpc_has_a_call_here():
    assert set(CALLS) == set(POLICY)
    assert POLICY["DecideExtension"] == frozenset({Role.ADMIN})
    assert Role.AUDITOR not in POLICY["GrantExtension"]


@pytest.mark.parametrize("role", list(ROLES))
async def test_only_the_allowed_roles_get_past_authorisation(indicators_module_stack, role):
    stack = indicators_module_stack
    clients = ServiceClients(
        {"indicators": stack.address("indicators")}, token_for(role, **ROLES[role])
    )
    try:
        for method, (api, request) in CALLS.items():
            try:
                await getattr(getattr(clients, api), method)(request, timeout=30)
                code, details = grpc.StatusCode.OK, ""
            except grpc.aio.AioRpcError as err:
                code, details = err.code(), err.details()
            denied = code == grpc.StatusCode.PERMISSION_DENIED
            assert denied == (role not in POLICY[method]), (method, role, code, details)
    finally:
        await clients.close()
