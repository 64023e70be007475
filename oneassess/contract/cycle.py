"""The cycle's workflow contract: what the cycle control service sends to CycleWorkflow
(its input, the office's update payloads) and what it reads back (status, extension records,
the export summary), with the phase names. Workflows import these from here, so the service
that drives a cycle never imports `workflows`.

Dataclasses, one per input, so each can grow with defaulted fields without breaking recorded
histories. Times are ISO 8601 strings with an offset; durations are seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Cycle phases, in order; also the values of the Phase search attribute on the cycle.
FOLDED = "folded"
COLLECTING = "collecting"
REVIEWING = "reviewing"
SCORING = "scoring"
PUBLISHED = "published"
FINAL = "final"
CLOSED = "closed"
CYCLE_PHASES = (FOLDED, COLLECTING, REVIEWING, SCORING, PUBLISHED, FINAL, CLOSED)

# Unit phases (the Phase search attribute on a unit workflow).
UNIT_WAITING = "waiting"  # before collection opens
UNIT_COLLECTING = "collecting"
UNIT_OVERDUE = "overdue"  # past its deadline with asks still missing
UNIT_LOCKED = "locked"  # asks locked; awaiting results
UNIT_SCORED = "scored"  # published result known
UNIT_FINAL = "final"

# Default escalation ladder: overdue digest n goes to ESCALATION[min(n, len) - 1].
DEFAULT_ESCALATION = [["contact"], ["contact", "head"], ["contact", "head", "office"]]


# Bounded workflow state: the cycle keeps at most this many extension records per unit (the
# unit's requests and the office's grants together); the full reason of a request lives in
# the submissions service, the workflow keeps its first REASON_CHARS characters.
MAX_EXTENSIONS_PER_UNIT = 5
REASON_CHARS = 200


@dataclass
class CycleCalendar:
    """A cycle's absolute calendar as the workflows and the services use it (compressed or not)."""

    opens: str
    evidence_due: str
    collection_closes: str
    review_due: str
    publish: str
    appeal_deadline: str

    MILESTONES = (
        "opens",
        "evidence_due",
        "collection_closes",
        "review_due",
        "publish",
        "appeal_deadline",
    )


@dataclass
class ReminderPlan:
    """Reminder points relative to a deadline: `before` offsets, then `overdue_max` overdue
    digests every `overdue_every_seconds`. Labels keep the plan's words ("14d")."""

    before_seconds: list[float] = field(default_factory=list)
    before_labels: list[str] = field(default_factory=list)
    overdue_every_seconds: float = 0.0
    overdue_max: int = 0


@dataclass
class UnitRef:
    code: str
    kind: str
    name: str = ""
    contact: str = ""
    head: str = ""


@dataclass
class ExtensionRecord:
    extension_id: str
    unit_code: str
    days: int
    reason: str
    requested_by: str
    requested_at: str
    status: str = "pending"  # pending, approved, rejected
    decided_by: str = ""
    decided_at: str = ""
    deadline: str = ""
    closes_at: str = ""


@dataclass
class CycleState:
    """Everything a cycle workflow carries across continue-as-new."""

    cycle_code: str
    calendar: CycleCalendar
    reminders: ReminderPlan
    units: list[UnitRef]
    asks_by_kind: dict[str, list[str]]
    escalation: list[list[str]]
    phase: str = FOLDED
    compression: float = 1.0  # plan seconds per real second (extension days shrink alike)
    units_started: int = 0
    runs: int = 1
    calendar_revision: int = 0
    done: list[str] = field(default_factory=list)  # phase entry actions already run
    extensions: list[ExtensionRecord] = field(default_factory=list)
    unit_deadlines: dict[str, list[str]] = field(default_factory=dict)  # unit -> [deadline, closes]
    score_runs: list[int] = field(default_factory=list)
    assessor_points_sent: list[str] = field(default_factory=list)
    # Who set the time scores are published (the starter, then whoever moved `publish` or
    # closed review): the publication is done in their name.
    publish_ordered_by: str = ""


@dataclass
class CycleInput:
    """Start a cycle workflow. With neither `compress_factor` nor `span_seconds` the plan's own
    calendar runs; `calendar` (absolute times) overrides the plan's; `state` is only set by
    continue-as-new."""

    cycle_code: str
    compress_factor: float = 0.0
    span_seconds: float = 0.0
    calendar: CycleCalendar | None = None
    escalation: list[list[str]] | None = None
    window: int = 500  # most children started (and so pending) per run
    max_history_events: int = 4000  # continue-as-new past this, long before 10,240
    state: CycleState | None = None
    started_by: str = ""  # the person who started it (and whom they acted for)


@dataclass
class CycleStatus:
    cycle_code: str
    phase: str
    calendar: CycleCalendar
    units_total: int
    units_started: int
    run: int
    extensions_pending: int
    extensions_approved: int
    extensions_rejected: int
    score_runs: list[int]
    pending_extension_units: list[str] = field(default_factory=list)
    pending_extensions: list[ExtensionRecord] = field(default_factory=list)


# ---- admin updates (validated before they enter history) ----


@dataclass
class CalendarChange:
    """Update `change_calendar`: any subset of milestones; the result must stay in order and
    a milestone already passed cannot move."""

    evidence_due: str = ""
    collection_closes: str = ""
    review_due: str = ""
    publish: str = ""
    appeal_deadline: str = ""
    changed_by: str = ""


@dataclass
class CloseCollectionEarly:
    closed_by: str = ""


@dataclass
class ExtendUnitRequest:
    """Update `extend_unit`: the office moves a unit's deadline and lock by `days`."""

    unit_code: str
    days: int
    reason: str = ""
    approved_by: str = ""


@dataclass
class ExtensionDecision:
    """Update `decide_extension`: approve or reject a unit's pending request (by unit, or by id)."""

    unit_code: str = ""
    extension_id: str = ""
    approve: bool = True
    decided_by: str = ""
    days: int = 0  # 0: the days the unit asked for


@dataclass
class ExportSummary:
    exported: int
    already: int
    workflows: list[str] = field(default_factory=list)


@dataclass
class CloseReviewing:
    """Update `close_reviewing`: end review now and move straight to scoring and publication.
    The service sends it only when no review is missing, or with the office's explicit
    override naming what is missing (`missing_acknowledged`, kept in the history)."""

    closed_by: str = ""
    missing_acknowledged: list[str] = field(default_factory=list)
