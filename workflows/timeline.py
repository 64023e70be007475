"""Pure calendar arithmetic the workflows use: compressing a plan's calendar onto "now + N",
the reminder points of one unit, escalation recipients, and calendar-change validation.
No I/O and no clock: callers pass `now` (workflow.now() inside workflows), so all of this is
deterministic and tested directly.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from workflows.model import CalendarChange, CycleCalendar, ReminderPlan

MILESTONES = CycleCalendar.MILESTONES


def parse(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no UTC offset")
    return moment


def iso(moment: datetime) -> str:
    return moment.isoformat()


def milestones(calendar: CycleCalendar) -> list[tuple[str, datetime]]:
    return [(name, parse(getattr(calendar, name))) for name in MILESTONES]


# Milestones that may fall at the same moment: collection may close at the deadline itself (no
# grace period, or an early close); scores may be published the moment review closes (an
# early close of review).
MAY_COINCIDE = frozenset({("evidence_due", "collection_closes"), ("review_due", "publish")})


def order_problems(calendar: CycleCalendar, only: frozenset[str] | None = None) -> list[str]:
    """Each milestone must come strictly after the one before it (or at it, MAY_COINCIDE).
    With `only`, just the pairs that involve one of those milestones are checked."""
    problems = []
    moments = milestones(calendar)
    for (earlier, a), (later, b) in itertools.pairwise(moments):
        if only is not None and earlier not in only and later not in only:
            continue
        if not (a < b or (a == b and (earlier, later) in MAY_COINCIDE)):
            problems.append(
                f"{later} must be after {earlier} ({a.isoformat()}), got {b.isoformat()}"
            )
    return problems


def compression_factor(
    calendar: CycleCalendar, *, factor: float = 0.0, span_seconds: float = 0.0
) -> float:
    """Plan seconds per real second: `factor` itself, or what maps opens..appeal_deadline onto
    `span_seconds`. 1.0 (no compression) when neither is given."""
    if factor and span_seconds:
        raise ValueError("give a compression factor or a span, not both")
    if factor:
        if factor < 1:
            raise ValueError(f"compression factor must be >= 1, got {factor:g}")
        return factor
    if span_seconds:
        if span_seconds <= 0:
            raise ValueError(f"span must be positive, got {span_seconds:g}s")
        whole = (parse(calendar.appeal_deadline) - parse(calendar.opens)).total_seconds()
        return max(whole / span_seconds, 1.0)
    return 1.0


def compress(
    calendar: CycleCalendar, reminders: ReminderPlan, *, start: datetime, factor: float
) -> tuple[CycleCalendar, ReminderPlan]:
    """Map the calendar onto `start` (= opens), dividing every interval by `factor`, so the
    proportions stay; reminder offsets shrink by the same factor and keep their labels."""
    if factor == 1.0:
        return calendar, reminders
    opens = parse(calendar.opens)
    moved = {name: iso(start + (moment - opens) / factor) for name, moment in milestones(calendar)}
    return CycleCalendar(**moved), replace(
        reminders,
        before_seconds=[s / factor for s in reminders.before_seconds],
        overdue_every_seconds=reminders.overdue_every_seconds / factor,
    )


def offset_label(seconds: float) -> str:
    """86400 -> "1d", 43200 -> "12h", 90 -> "90s"."""
    whole = round(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if whole and whole % size == 0:
            return f"{whole // size}{unit}"
    return f"{whole}s"


@dataclass(frozen=True)
class ReminderPoint:
    label: str  # "before:14d", "overdue:2"; prefixed "ext1/" after a first extension
    at: datetime
    overdue: int  # 0 before the deadline, n for the n-th overdue digest


def reminder_points(
    *,
    deadline: datetime,
    closes_at: datetime,
    reminders: ReminderPlan,
    generation: int = 0,
) -> list[ReminderPoint]:
    """Every reminder point of a deadline, in time order: the plan's `before` offsets, then
    `overdue_max` overdue points every `overdue_every`; none at or after the lock (a locked
    ask cannot be submitted, so there is nothing to remind of)."""
    prefix = f"ext{generation}/" if generation else ""
    points = []
    labels = reminders.before_labels or [offset_label(s) for s in reminders.before_seconds]
    for seconds, label in zip(reminders.before_seconds, labels, strict=True):
        points.append(
            ReminderPoint(f"{prefix}before:{label}", deadline - timedelta(seconds=seconds), 0)
        )
    if reminders.overdue_every_seconds > 0:
        for n in range(1, reminders.overdue_max + 1):
            at = deadline + timedelta(seconds=reminders.overdue_every_seconds * n)
            points.append(ReminderPoint(f"{prefix}overdue:{n}", at, n))
    return sorted((p for p in points if p.at < closes_at), key=lambda p: (p.at, p.label))


def escalation_roles(ladder: list[list[str]], overdue: int) -> list[str]:
    """Who gets a digest: the contact before the deadline; the ladder's n-th step for the
    n-th overdue digest (its last step once past its end)."""
    if overdue <= 0 or not ladder:
        return ["contact"]
    return list(ladder[min(overdue, len(ladder)) - 1])


def apply_change(current: CycleCalendar, change: CalendarChange, *, now: datetime) -> CycleCalendar:
    """The calendar after `change`, or ValueError naming every problem: a milestone already
    passed cannot move (nor move into the past), and the order must hold around what moves.
    Only the changed milestones are checked against their neighbours: whatever an earlier
    change or an early close left behind never blocks a later change."""
    updates = {
        name: getattr(change, name)
        for name in MILESTONES
        if name != "opens" and getattr(change, name, "")
    }
    if not updates:
        raise ValueError("nothing to change: give at least one milestone")
    problems = []
    for name, value in updates.items():
        try:
            moment = parse(value)
        except ValueError as err:
            problems.append(f"{name}: {err}")
            continue
        if parse(getattr(current, name)) <= now:
            problems.append(f"{name} has already passed ({getattr(current, name)}) and cannot move")
        elif moment <= now:
            problems.append(f"{name} must be in the future, got {value}")
        updates[name] = iso(moment)
    if problems:
        raise ValueError("; ".join(problems))
    changed = replace(current, **updates)
    problems = order_problems(changed, only=frozenset(updates))
    if problems:
        raise ValueError("; ".join(problems))
    return changed


def close_reviewing(current: CycleCalendar, *, now: datetime) -> CycleCalendar:
    """The calendar when review closes `now`: review_due and publish both now (scoring runs,
    then publication at once); ValueError when the appeal deadline would not stay ahead."""
    moment = iso(now)
    if parse(current.review_due) <= now:
        raise ValueError(f"review_due has already passed ({current.review_due})")
    if parse(current.appeal_deadline) <= now:
        raise ValueError(f"the appeal deadline has passed ({current.appeal_deadline})")
    changed = replace(current, review_due=moment, publish=min(current.publish, moment, key=parse))
    problems = order_problems(changed, only=frozenset({"review_due", "publish"}))
    if problems:
        raise ValueError("; ".join(problems))
    return changed
