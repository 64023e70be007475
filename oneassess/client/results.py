"""A cycle's results as one document (results.json, the report's input), read from the
services over gRPC: burden (indicators), scores (scoring), submissions and notifications
(submissions).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import grpc

from oneassess.client.channels import ServiceClients
from oneassess.client.paging import all_pages
from oneassess.indicators.v1 import indicators_service_pb2 as ind_pb
from oneassess.scoring.v1 import scoring_service_pb2 as sc_pb
from oneassess.submissions.v1 import submissions_service_pb2 as sub_pb


def burden_document(report: ind_pb.BurdenReport) -> dict[str, Any]:
    """The burden report as `oneassess cycle burden --json` prints it and results.json holds it."""
    return {
        "cycle": report.cycle_code,
        "by_kind": {
            k.kind: {
                "units": k.units,
                "asks_before": k.asks_before,
                "asks_after": k.asks_after,
                "reduction_percent": round(k.reduction_percent, 1),
            }
            for k in report.by_kind
        },
        "units": [
            {
                "unit": u.unit_code,
                "kind": u.kind,
                "group": u.group,
                "asks_before": u.asks_before,
                "asks_after": u.asks_after,
                "reduction_percent": round(u.reduction_percent, 1),
            }
            for u in report.units
        ],
        "asks": [
            {
                "kind": a.kind,
                "evidence_key": a.evidence_key,
                "indicators": a.indicators,
                "special_assessments": a.special_assessments,
            }
            for a in report.asks
        ],
    }


def add_collection_burden(
    document: dict[str, Any],
    submissions: list[sub_pb.Submission],
    notifications: list[sub_pb.Notification],
) -> None:
    """Per unit: asks submitted, uploads made, reminder digests received (the burden that
    remains)."""
    submitted = Counter(unit for unit, _ in {(s.unit_code, s.evidence_key) for s in submissions})
    uploads = Counter(s.unit_code for s in submissions)
    reminders = Counter(unit for unit, _ in _digest_points(notifications))
    for row in document["units"]:
        row["asks_submitted"] = submitted.get(row["unit"], 0)
        row["uploads"] = uploads.get(row["unit"], 0)
        row["reminders"] = reminders.get(row["unit"], 0)


async def burden(clients: ServiceClients, cycle_code: str) -> dict[str, Any]:
    """The burden report, with each unit's submissions and reminders when the caller may see
    them."""
    report = (
        await clients.indicators.GetBurdenReport(
            ind_pb.GetBurdenReportRequest(cycle_code=cycle_code)
        )
    ).report
    document = burden_document(report)
    try:
        submissions = await all_pages(
            clients.submissions.ListSubmissions,
            sub_pb.ListSubmissionsRequest(cycle_code=cycle_code),
            "submissions",
        )
        notifications = await all_pages(
            clients.submissions.ListNotifications,
            sub_pb.ListNotificationsRequest(cycle_code=cycle_code),
            "notifications",
        )
    except grpc.aio.AioRpcError as err:
        if err.code() not in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAVAILABLE):
            raise
        return document  # asks only: this caller (or this moment) cannot see collection
    add_collection_burden(document, submissions, notifications)
    return document


def scoreboard_document(scores: list[sc_pb.UnitScore]) -> list[dict[str, Any]]:
    return [
        {
            "unit": s.unit_code,
            "group": s.group,
            "composite": s.composite,
            "rank": s.rank,
            "tier": s.tier,
            "vetoed": s.vetoed,
        }
        for s in sorted(scores, key=lambda s: (s.group, s.rank, s.unit_code))
    ]


def timeline_document(
    submissions: list[sub_pb.Submission],
    deadline: datetime,
    total_asks: int,
    extended: dict[str, datetime],
) -> dict[str, Any]:
    first: dict[tuple[str, str], datetime] = {}
    for s in submissions:
        at = s.submitted_at.ToDatetime(tzinfo=UTC)
        key = (s.unit_code, s.evidence_key)
        if key not in first or at < first[key]:
            first[key] = at
    times = sorted(first.values())
    late = sum(1 for (unit, _), at in first.items() if at > extended.get(unit, deadline))
    return {
        "deadline": deadline.isoformat(),
        "total_asks": total_asks,
        "on_time": len(first) - late,
        "late": late,
        "missing": max(total_asks - len(first), 0),
        "points": [{"at": at.isoformat(), "count": i} for i, at in enumerate(times, start=1)],
    }


# A unit's reminder digests: before the deadline, after it, and escalated up the ladder.
DIGEST_KINDS = (
    sub_pb.NOTIFICATION_KIND_REMINDER,
    sub_pb.NOTIFICATION_KIND_OVERDUE,
    sub_pb.NOTIFICATION_KIND_ESCALATION,
)
ESCALATED_TO = (sub_pb.RECIPIENT_ROLE_HEAD, sub_pb.RECIPIENT_ROLE_OFFICE)


def _word(enum_type, value: int) -> str:
    """An enum value as the lower-case word the results document uses (SENT -> "sent")."""
    return enum_type.Name(value).rsplit("_", 1)[-1].lower()


def _digest_points(notifications: list[sub_pb.Notification]) -> set[tuple[str, str]]:
    """(unit, reminder point) of every reminder digest: one digest per unit per point."""
    return {(n.unit_code, n.point) for n in notifications if n.unit_code and n.kind in DIGEST_KINDS}


def reminders_document(
    notifications: list[sub_pb.Notification], units: list[str]
) -> dict[str, Any]:
    digests = {n.id: n for n in notifications if n.unit_code and n.kind in DIGEST_KINDS}
    reminders = Counter(unit for unit, _ in _digest_points(notifications))
    escalations = Counter(n.unit_code for n in digests.values() if n.recipient_role in ESCALATED_TO)
    by_channel = Counter(_word(sub_pb.NotificationChannel, n.channel) for n in digests.values())
    outcomes = Counter(_word(sub_pb.NotificationOutcome, n.outcome) for n in digests.values())
    return {
        "total": sum(reminders.values()),
        "escalations": sum(escalations.values()),
        "notifications": len(digests),
        "by_channel": dict(sorted(by_channel.items())),
        "outcomes": dict(sorted(outcomes.items())),
        "by_unit": [
            {
                "unit": unit,
                "reminders": reminders.get(unit, 0),
                "escalations": escalations.get(unit, 0),
            }
            for unit in units
            if reminders.get(unit, 0)
        ],
        "units_never_reminded": sum(1 for unit in units if not reminders.get(unit, 0)),
    }


async def collect(clients: ServiceClients, cycle_code: str) -> dict[str, Any]:
    cycle = (await clients.indicators.GetCycle(ind_pb.GetCycleRequest(cycle_code=cycle_code))).cycle
    report = (
        await clients.indicators.GetBurdenReport(
            ind_pb.GetBurdenReportRequest(cycle_code=cycle_code)
        )
    ).report
    scores = await all_pages(
        clients.scoring.ListScores, sc_pb.ListScoresRequest(cycle_code=cycle_code), "scores"
    )
    submissions = await all_pages(
        clients.submissions.ListSubmissions,
        sub_pb.ListSubmissionsRequest(cycle_code=cycle_code),
        "submissions",
    )
    notifications = await all_pages(
        clients.submissions.ListNotifications,
        sub_pb.ListNotificationsRequest(cycle_code=cycle_code),
        "notifications",
    )
    ask_times = await clients.submissions.ListAskTimes(
        sub_pb.ListAskTimesRequest(cycle_code=cycle_code)
    )
    extended = {e.unit_code: e.deadline.ToDatetime(tzinfo=UTC) for e in ask_times.extended}
    units = [u.unit_code for u in report.units]
    burden_doc = burden_document(report)
    add_collection_burden(burden_doc, submissions, notifications)
    return {
        "cycle": cycle_code,
        "cycle_name": cycle.name,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "tiers": [{"name": t.name, "top_share": t.top_share} for t in cycle.tiers],
        "veto_tier": cycle.veto_tier,
        "burden": burden_doc,
        "scoreboard": scoreboard_document(scores),
        "submissions_timeline": timeline_document(
            submissions,
            # The deadline in force (a compressed calendar moves it), else the plan's.
            (
                ask_times.cycle_deadline
                if ask_times.HasField("cycle_deadline")
                else cycle.calendar.evidence_due
            ).ToDatetime(tzinfo=UTC),
            sum(u.asks_after for u in report.units),
            extended,
        ),
        "reminders": reminders_document(notifications, units),
    }
