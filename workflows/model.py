"""The dataclasses workflows and activities exchange among themselves (one per input, so each
can grow with defaulted fields without breaking recorded histories). What the cycle control
service shares with CycleWorkflow (its input, update payloads, status, phases) is in
oneassess.contract.cycle and re-exported here for the workflow code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from oneassess.contract.cycle import (  # noqa: F401 - re-exported for the workflow code
    CLOSED,
    COLLECTING,
    CYCLE_PHASES,
    DEFAULT_ESCALATION,
    FINAL,
    FOLDED,
    MAX_EXTENSIONS_PER_UNIT,
    PUBLISHED,
    REASON_CHARS,
    REVIEWING,
    SCORING,
    UNIT_COLLECTING,
    UNIT_FINAL,
    UNIT_LOCKED,
    UNIT_OVERDUE,
    UNIT_SCORED,
    UNIT_WAITING,
    CalendarChange,
    CloseCollectionEarly,
    CloseReviewing,
    CycleCalendar,
    CycleInput,
    CycleState,
    CycleStatus,
    ExportSummary,
    ExtendUnitRequest,
    ExtensionDecision,
    ExtensionRecord,
    ReminderPlan,
    UnitRef,
)


@dataclass
class CyclePlan:
    """What the load_cycle activity reads from the indicators service (plan time, uncompressed)."""

    cycle_code: str
    calendar: CycleCalendar
    reminders: ReminderPlan
    units: list[UnitRef]
    asks_by_kind: dict[str, list[str]]
    timezone: str = ""


@dataclass
class Recipient:
    role: str  # contact, head, office, assessor
    address: str = ""


@dataclass
class UnitInput:
    cycle_code: str
    unit: UnitRef
    asks: list[str]
    opens: str
    deadline: str
    closes_at: str
    reminders: ReminderPlan
    escalation: list[list[str]]


@dataclass
class UnitCalendarChange:
    """Signal `calendar_changed` to a unit: the cycle's base deadline and lock moved."""

    deadline: str
    closes_at: str
    revision: int


@dataclass
class UnitExtended:
    """Signal `deadline_extended` to a unit: an approved extension. Idempotent by extension_id."""

    extension_id: str
    deadline: str
    closes_at: str
    approved_by: str
    reason: str = ""
    days: int = 0


@dataclass
class UnitResult:
    """Signal `scored` to a unit: its published (then final) result."""

    composite: str
    rank: int
    tier: str
    group: str = ""
    vetoed: bool = False
    run: int = 0
    final: bool = False


@dataclass
class UnitStatus:
    unit_code: str
    phase: str
    deadline: str
    closes_at: str
    missing: list[str]
    submitted: list[str]
    points_sent: list[str]
    result: UnitResult | None = None


@dataclass
class LoadCycleInput:
    cycle_code: str


@dataclass
class CollectionInput:
    request_id: str
    cycle_code: str
    opens: str
    deadline: str
    closes_at: str


@dataclass
class CloseCollectionInput:
    request_id: str
    cycle_code: str
    closes_at: str


@dataclass
class ExtendUnitInput:
    request_id: str
    cycle_code: str
    unit_code: str
    deadline: str
    closes_at: str
    approved_by: str
    reason: str = ""


@dataclass
class ScoresInput:
    request_id: str
    cycle_code: str
    appeal_deadline: str = ""
    # The person the scheduled call is made for (the worker acts on their order): sent as
    # x-oneassess-on-behalf-of, so the scoring service records them.
    on_behalf_of: str = ""


@dataclass
class DigestInput:
    """One reminder digest of one unit at one reminder point (local activity)."""

    cycle_code: str
    unit_code: str
    point: str  # "before:14d", "overdue:2", "ext1/before:3d"
    kind: str  # reminder or overdue
    missing: list[str]
    recipients: list[Recipient]
    deadline: str
    at: str  # when the reminder point falls (the digest goes out then or, after an outage, later)


@dataclass
class DigestResult:
    sent: list[str]  # notification ids delivered (or already delivered before)
    missing: list[str]  # what the digest listed, after checking the submissions service
    skipped: bool = False  # nothing was missing after all
    point: str = ""
    failed: list[str] = field(default_factory=list)  # notification ids recorded as failed/skipped


@dataclass
class AssessorDigestInput:
    cycle_code: str
    point: str
    review_due: str
    at: str


@dataclass
class NoticeInput:
    """A one-off notification (extension decided, results)."""

    notification_id: str
    cycle_code: str
    unit_code: str
    kind: str
    subject: str
    body: str
    recipients: list[Recipient]


@dataclass
class SignalUnitsInput:
    """Send one signal to many unit workflows (batch, heartbeating)."""

    cycle_code: str
    unit_codes: list[str]
    signal: str
    payload: UnitCalendarChange


@dataclass
class DeliverResultsInput:
    cycle_code: str
    final: bool
    unit_codes: list[str] = field(default_factory=list)  # every unit hears, scored or not


@dataclass
class ExportInput:
    """Export the histories of a cycle once its cycle workflow and every unit workflow closed."""

    cycle_code: str
    cycle_workflow_id: str
    cycle_run_id: str
