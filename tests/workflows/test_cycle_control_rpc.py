"""Cycle control through the indicators service (issue 12): the CLI reaches the cycle only
through CycleControlService, which authorises by role, signs every decision with the person
(and whom they act for) and writes it to the audit log. The real indicators service (its own
PostgreSQL) drives a real dev server whose worker is wired to fake services."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from temporalio.api.enums.v1 import EventType
from typer.testing import CliRunner

from oneassess.client.channels import ServiceClients
from oneassess.contract import SIGNAL_EXTENSION_REQUESTED, ExtensionRequested, cycle_workflow_id
from oneassess.indicators.v1 import cycle_control_service_pb2 as cc
from oneassess.indicators.v1 import delegation_service_pb2 as dpb
from services.common.auth import Role
from tests.conftest import token_for
from tests.workflows.harness import CEILING_SECONDS, eventually

HEAD = "zhang.wei"  # head of the assessment office
CLERK = "li.na"  # an office clerk who acts for the head


async def cli(env: dict, *args: str, token: str = "", on_behalf_of: str = ""):
    """The CLI as a person runs it: `--as ROLE` in args, or a person's token."""
    from cli import common
    from cli.main import _take_as_option, app

    common.acting.value = "admin"  # each command starts as a fresh process would

    env = {**env, "ONEASSESS_TOKEN": token, "ONEASSESS_ON_BEHALF_OF": on_behalf_of}
    argv = _take_as_option(list(args))
    return await asyncio.to_thread(CliRunner().invoke, app, argv, env=env)


def as_person(value: str) -> str:
    """A token for `--as`'s ROLE[:SCOPE] in this made-up city, whose people the sample
    people file does not have."""
    role, _, scope = value.partition(":")
    if role == "unit":
        return token_for(Role.UNIT, unit=scope, subject=f"contact.{scope}")
    if role == "assessor":
        return token_for(Role.ASSESSOR, department=scope, subject=f"assessor.{scope}")
    return token_for(Role(role), subject=f"{role}.test")


def person(subject: str) -> str:
    return token_for(Role.ADMIN, subject=subject)


def clients_of(running, subject: str, on_behalf_of: str = "") -> ServiceClients:
    clients = ServiceClients(
        {"indicators": running.address("indicators")},
        person(subject),
        on_behalf_of=on_behalf_of,
    )
    running._clients.append(clients)
    return clients


async def _status(clients, code):
    try:
        return await clients.cycles.GetCycleStatus(cc.GetCycleStatusRequest(cycle_code=code))
    except grpc.aio.AioRpcError as err:
        if err.code() == grpc.StatusCode.FAILED_PRECONDITION:  # still loading its plan
            return None
        raise


async def _audit(running, action_prefix: str):
    return await running.pool("indicators").fetch(
        "SELECT actor, action, subject, payload FROM audit_log WHERE action LIKE $1 ORDER BY seq",
        f"{action_prefix}%",
    )


async def test_only_the_office_decides_extensions_and_the_decision_names_the_person(stack, control):
    code, running, env = control
    head = clients_of(running, HEAD)
    started = await cli(env, "cycle", "start", code, "--span-minutes", "30", token=person(HEAD))
    assert started.exit_code == 0, started.output
    assert f"by {HEAD}" in started.output
    await eventually(lambda: _status(head, code), what="the cycle answers its status")

    # A unit's request arrives (the submissions outbox signals it).
    await stack.client.get_workflow_handle(cycle_workflow_id(code)).signal(
        SIGNAL_EXTENSION_REQUESTED,
        ExtensionRequested(
            "ext-7",
            code,
            "unit-0001",
            5,
            "typhoon",
            "unit:unit-0001",
            datetime.now(UTC).isoformat(),
        ),
    )

    async def pending():
        found = await _status(head, code)
        return found and [e.extension_id for e in found.pending_extensions] == ["ext-7"]

    await eventually(pending, what="the request reaches the cycle")

    # Nobody but the office decides: a unit (even for itself), an assessor, the auditor.
    for role in ("unit:unit-0001", "assessor:work-safety", "auditor"):
        refused = await cli(
            env,
            "extension",
            "decide",
            code,
            "--unit",
            "unit-0001",
            "--approve",
            token=as_person(role),
        )
        assert refused.exit_code == 1, (role, refused.output)
        assert "PERMISSION_DENIED" in refused.output, (role, refused.output)
        grant = await cli(
            env,
            "extension",
            "grant",
            code,
            "--unit",
            "unit-0001",
            "--days",
            "2",
            token=as_person(role),
        )
        assert grant.exit_code == 1 and "PERMISSION_DENIED" in grant.output, (role, grant.output)
    # ... and nothing changed: no update reached the workflow, no service call, no audit entry.
    history = await stack.client.get_workflow_handle(cycle_workflow_id(code)).fetch_history()
    assert not any(
        e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
        for e in history.events
    )
    assert [n for n, _ in stack.fakes.calls if n == "ExtendUnit"] == []
    assert await _audit(running, "extension.") == []
    found = await _status(head, code)
    assert (found.extensions_pending, found.extensions_approved) == (1, 0)
    # Neither may a unit or an auditor read the cycle's status or another unit's timeline.
    status_as_unit = await cli(env, "cycle", "status", code, token=as_person("unit:unit-0001"))
    assert status_as_unit.exit_code == 1 and "PERMISSION_DENIED" in status_as_unit.output
    other = await cli(
        env, "audit", "history", code, "--unit", "unit-0002", token=as_person("unit:unit-0001")
    )
    assert other.exit_code == 1 and "PERMISSION_DENIED" in other.output
    cycle_trail = await cli(env, "audit", "history", code, token=as_person("unit:unit-0001"))
    assert cycle_trail.exit_code == 1 and "PERMISSION_DENIED" in cycle_trail.output
    # A unit reads its own timeline (from Temporal while the workflow runs).
    own = await cli(
        env, "audit", "history", code, "--unit", "unit-0001", token=as_person("unit:unit-0001")
    )
    assert own.exit_code == 0, own.output
    assert f"cycle/{code}/unit/unit-0001  source: Temporal" in own.output
    assert "unit workflow started" in own.output

    # The clerk may act for the head only once the office has granted it.
    undelegated = await cli(
        env,
        "extension",
        "decide",
        code,
        "--unit",
        "unit-0001",
        "--approve",
        token=person(CLERK),
        on_behalf_of=HEAD,
    )
    assert undelegated.exit_code == 1
    assert f"holds no active delegation to act for {HEAD}" in undelegated.output
    ends = Timestamp()
    ends.FromDatetime(datetime.now(UTC) + timedelta(days=7))
    granted = await head.delegations.GrantDelegation(
        dpb.GrantDelegationRequest(
            request_id=str(uuid.uuid4()),
            delegate=CLERK,
            delegator=HEAD,
            ends_at=ends,
            reason="head away at the provincial meeting",
        )
    )
    assert granted.delegation.granted_by == HEAD

    approved = await cli(
        env,
        "extension",
        "decide",
        code,
        "--unit",
        "unit-0001",
        "--approve",
        token=person(CLERK),
        on_behalf_of=HEAD,
    )
    assert approved.exit_code == 0, approved.output
    signed = f"{CLERK} for {HEAD}"
    assert f"unit-0001: extension ext-7 approved by {signed}" in approved.output
    # The stored decision names both people: in the workflow, in the submissions service's
    # lock (the worker's call), and in the audit log.
    found = await _status(head, code)
    assert (found.extensions_pending, found.extensions_approved) == (0, 1)
    [extend] = [r for n, r in stack.fakes.calls if n == "ExtendUnit"]
    assert (extend.unit_code, extend.approved_by) == ("unit-0001", signed)
    [entry] = await _audit(running, "extension.")
    assert (entry["actor"], entry["action"], entry["subject"]) == (
        signed,
        "extension.approved",
        code,
    )
    assert entry["payload"]["actor"] == CLERK and entry["payload"]["on_behalf_of"] == HEAD
    assert entry["payload"]["request"]["decided_by"] == signed
    [delegation] = await _audit(running, "delegation.")
    assert (delegation["actor"], delegation["action"]) == (HEAD, "delegation.granted")
    assert delegation["payload"]["delegate"] == CLERK

    # Revoked, the delegation no longer works.
    await head.delegations.RevokeDelegation(
        dpb.RevokeDelegationRequest(
            request_id=str(uuid.uuid4()), delegation_id=granted.delegation.delegation_id
        )
    )
    after = await cli(
        env, "cycle", "close-collection", code, token=person(CLERK), on_behalf_of=HEAD
    )
    assert after.exit_code == 1 and "holds no active delegation" in after.output
    # The trail of delegations, as the auditor reads it; the auditor cannot grant one.
    listed = await cli(env, "delegation", "list", "--json", token=as_person("auditor"))
    assert listed.exit_code == 0, listed.output
    [shown] = json.loads(listed.output)
    assert (shown["delegate"], shown["delegator"], shown["revoked_by"]) == (CLERK, HEAD, HEAD)
    denied = await cli(
        env, "delegation", "grant", "--delegate", CLERK, "--for", HEAD, token=as_person("auditor")
    )
    assert denied.exit_code == 1 and "PERMISSION_DENIED" in denied.output
    regranted = await cli(
        env, "delegation", "grant", "--delegate", CLERK, "--for", HEAD, token=person(HEAD)
    )
    assert regranted.exit_code == 0, regranted.output
    assert f"{CLERK} may act for {HEAD} (admin)" in regranted.output


async def test_close_collection_early_move_review_and_publish_close_review_publishes(
    stack, control
):
    code, running, env = control
    head = clients_of(running, HEAD)
    as_head = {"token": person(HEAD)}
    started = await cli(env, "cycle", "start", code, "--span-minutes", "60", **as_head)
    assert started.exit_code == 0, started.output
    await eventually(
        lambda: _phase_is(head, code, cc.CYCLE_PHASE_COLLECTING), what="collection opens"
    )

    closed = await cli(env, "cycle", "close-collection", code, **as_head)
    assert closed.exit_code == 0 and f"by {HEAD}" in closed.output, closed.output
    await eventually(lambda: _phase_is(head, code, cc.CYCLE_PHASE_REVIEWING), what="review")

    now = datetime.now(UTC)
    moved = await cli(
        env,
        "cycle",
        "calendar",
        code,
        "--review-due",
        (now + timedelta(minutes=10)).isoformat(),
        "--publish",
        (now + timedelta(minutes=12)).isoformat(),
        **as_head,
    )
    assert moved.exit_code == 0, moved.output
    again = await cli(
        env,
        "cycle",
        "calendar",
        code,
        "--publish",
        (now + timedelta(minutes=14)).isoformat(),
        **as_head,
    )
    assert again.exit_code == 0, again.output

    # Reviews are missing: review closes only with an override naming exactly what is missing.
    stack.fakes.missing_reviews = 4
    refused = await cli(env, "cycle", "close-reviewing", code, **as_head)
    assert refused.exit_code == 1 and "reviews are missing: work-safety:4" in refused.output
    wrong = await cli(
        env, "cycle", "close-reviewing", code, "--override-missing", "work-safety:3", **as_head
    )
    assert wrong.exit_code == 1 and "reviews are missing: work-safety:4" in wrong.output
    assert (await _status(head, code)).phase == cc.CYCLE_PHASE_REVIEWING

    # Once every review is in, the office closes review and the cycle publishes at once.
    stack.fakes.missing_reviews = 0
    done = await cli(env, "cycle", "close-reviewing", code, **as_head)
    assert done.exit_code == 0, done.output
    assert f"by {HEAD}" in done.output
    published = await eventually(
        lambda: _phase_is(head, code, cc.CYCLE_PHASE_PUBLISHED),
        what="the cycle publishes",
        within=CEILING_SECONDS,
    )
    assert list(published.score_runs) == [1]
    assert [n for n, _ in stack.fakes.calls if n == "PublishScores"]
    actions = [r["action"] for r in await _audit(running, "cycle.")]
    assert actions == [
        "cycle.created",
        "cycle.folded",
        "cycle.started",
        "cycle.collection_closed",
        "cycle.calendar_changed",
        "cycle.calendar_changed",
        "cycle.review_closed",
    ]
    assert {r["actor"] for r in await _audit(running, "cycle.")} == {"test-admin", HEAD}


async def _phase_is(clients, code, phase):
    found = await _status(clients, code)
    return found if found is not None and found.phase >= phase else None
