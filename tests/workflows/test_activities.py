"""The activities against the (fake) services on a real gRPC port: what they ask of the
services, that a repeat delivers nothing twice, that a failing channel is retried and then
recorded as failed, and that the plan read from the indicators service is mapped right."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from oneassess.submissions.v1 import submissions_service_pb2 as sub
from tests.workflows.fakes import ACTIVITIES_OPENS as OPENS
from workflows.activities.catalogue import CatalogueActivities
from workflows.activities.notifications import NotificationActivities
from workflows.config import NotifySettings
from workflows.model import DigestInput, LoadCycleInput, Recipient
from workflows.timeline import parse


class CountingChannel:
    name = "log"

    def __init__(self, failures: int = 0) -> None:
        self.sent: list = []
        self.failures = failures

    async def send(self, message) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("smtp down")
        self.sent.append(message)


def notifications(clients, channel, **notify) -> NotificationActivities:
    return NotificationActivities(clients, channel, NotifySettings(**notify))


def digest(point: str = "overdue:3", roles=("contact", "head", "office")) -> DigestInput:
    return DigestInput(
        cycle_code="act-2026",
        unit_code="unit-0001",
        point=point,
        kind="overdue",
        missing=["evidence-000", "evidence-001", "evidence-002"],
        recipients=[Recipient(r, f"{r}@unit-0001.test" if r != "office" else "") for r in roles],
        deadline="2026-12-31T18:00:00+08:00",
        at="2027-01-06T18:00:00+08:00",
    )


async def test_digest_lists_what_is_still_missing_and_is_delivered_once(services):
    fakes, clients = services
    fakes.submitted[("act-2026", "unit-0001")].add("evidence-001")  # the relay is behind
    channel = CountingChannel()
    acts = notifications(clients, channel, ONEASSESS_OFFICE_ADDRESS="office@city.test")
    env = ActivityEnvironment()
    result = await env.run(acts.send_unit_digest, digest())
    assert result.missing == ["evidence-000", "evidence-002"]
    assert [m.recipient for m in channel.sent] == [
        "contact@unit-0001.test",
        "head@unit-0001.test",
        "office@city.test",
    ]
    assert [m.kind for m in channel.sent] == ["overdue", "escalation", "escalation"]
    assert "evidence-001" not in channel.sent[0].body and "evidence-002" in channel.sent[0].body
    records = fakes.notifications
    assert sorted(records) == sorted(result.sent)
    note = records["act-2026/unit-0001/overdue:3/head"]
    assert (
        note.recipient,
        note.recipient_role,
        note.outcome,
        note.point,
        list(note.evidence_keys),
    ) == (
        "head@unit-0001.test",
        sub.RECIPIENT_ROLE_HEAD,
        sub.NOTIFICATION_OUTCOME_SENT,
        "overdue:3",
        ["evidence-000", "evidence-002"],
    )
    # A retry (the worker died before its workflow task completed) sends nothing again.
    again = await env.run(acts.send_unit_digest, digest())
    assert len(channel.sent) == 3 and again.sent == result.sent
    assert fakes.record_calls == 3


async def test_nothing_missing_sends_and_records_nothing(services):
    fakes, clients = services
    fakes.submitted[("act-2026", "unit-0001")].update(
        {"evidence-000", "evidence-001", "evidence-002"}
    )
    channel = CountingChannel()
    result = await ActivityEnvironment().run(
        notifications(clients, channel).send_unit_digest, digest()
    )
    assert result.skipped and channel.sent == [] and fakes.notifications == {}


async def test_failing_channel_is_retried_then_recorded_failed(services):
    fakes, clients = services
    channel = CountingChannel(failures=10)
    acts = notifications(clients, channel, ONEASSESS_NOTIFY_ATTEMPTS=3)
    env = ActivityEnvironment()
    with pytest.raises(ConnectionError):
        await env.run(acts.send_unit_digest, digest("before:1d", ("contact",)))
    assert fakes.notifications == {}  # nothing recorded while Temporal may still retry
    env.info = dataclasses.replace(env.info, attempt=3)
    result = await env.run(acts.send_unit_digest, digest("before:1d", ("contact",)))
    assert result.sent == [] and result.failed == ["act-2026/unit-0001/before:1d/contact"]
    note = fakes.notifications["act-2026/unit-0001/before:1d/contact"]
    assert (note.outcome, note.error) == (
        sub.NOTIFICATION_OUTCOME_FAILED,
        "ConnectionError: smtp down",
    )


async def test_load_cycle_maps_the_plan(services):
    _fakes, clients = services
    plan = await ActivityEnvironment().run(
        CatalogueActivities(clients).load_cycle, LoadCycleInput("act-2026")
    )
    cal = plan.calendar
    assert parse(cal.opens) == OPENS and cal.opens.endswith("+08:00")  # in the cycle's time zone
    assert parse(cal.appeal_deadline) - parse(cal.publish) == timedelta(days=7)
    assert plan.reminders.before_labels == ["14d", "3d", "1d"]
    assert (plan.reminders.overdue_every_seconds, plan.reminders.overdue_max) == (2 * 86400, 3)
    assert [u.code for u in plan.units] == ["unit-0000", "unit-0001"]
    assert plan.units[1].contact == "contact-1@units.test"
    assert plan.asks_by_kind == {
        "township": ["evidence-000", "evidence-001", "evidence-002"],
        "department": ["evidence-000", "evidence-001"],
    }


async def test_load_cycle_of_an_unknown_cycle_is_not_retried(services):
    _, clients = services
    with pytest.raises(ApplicationError) as err:
        await ActivityEnvironment().run(
            CatalogueActivities(clients).load_cycle, LoadCycleInput("nope")
        )
    assert err.value.non_retryable and "no cycle 'nope'" in err.value.message
