"""What workflows, activities, the worker and the services (the outbox relay, cycle control)
share: workflow ids, search attributes, signal/update/query names and the signals'
single-dataclass payloads. The task queue is a setting
(oneassess.config.Settings.temporal_task_queue).

Payloads are dataclasses so they can grow (new fields with defaults) without breaking
recorded histories. Times travel as ISO 8601 strings with an offset. The cycle workflow's
input, update payloads and status are in oneassess.contract.cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

# Search attributes (registered by `oneassess up` on the dev server).
SA_CYCLE = "CycleCode"
SA_UNIT = "UnitCode"
SA_PHASE = "Phase"

# Signal names the outbox relay uses; the workflows define handlers with these names.
SIGNAL_EVIDENCE_SUBMITTED = "evidence_submitted"  # one submission (relays before batching)
SIGNAL_EVIDENCE_BATCH = "evidence_batch_submitted"  # several submissions of one unit
SIGNAL_EXTENSION_REQUESTED = "extension_requested"

# Signals the cycle workflow (and its batch activities) send to unit workflows.
SIGNAL_DEADLINE_EXTENDED = "deadline_extended"
SIGNAL_CALENDAR_CHANGED = "calendar_changed"
SIGNAL_SCORED = "scored"

# Admin updates on the cycle workflow (validated before they enter history) and queries.
UPDATE_CHANGE_CALENDAR = "change_calendar"
UPDATE_CLOSE_COLLECTION = "close_collection_early"
UPDATE_EXTEND_UNIT = "extend_unit"
UPDATE_DECIDE_EXTENSION = "decide_extension"
UPDATE_CLOSE_REVIEWING = "close_reviewing"
QUERY_STATUS = "status"

WORKFLOW_CYCLE = "CycleWorkflow"
WORKFLOW_UNIT = "UnitWorkflow"
WORKFLOW_EXPORT = "HistoryExportWorkflow"


def cycle_workflow_id(cycle_code: str) -> str:
    return f"cycle/{cycle_code}"


def unit_workflow_id(cycle_code: str, unit_code: str) -> str:
    return f"cycle/{cycle_code}/unit/{unit_code}"


def export_workflow_id(cycle_code: str) -> str:
    return f"cycle/{cycle_code}/export"


@dataclass
class EvidenceSubmitted:
    """Signal to a unit workflow: a submission was committed. Idempotent by submission_id."""

    submission_id: str
    cycle_code: str
    unit_code: str
    evidence_key: str
    sha256: str
    version: int
    submitted_at: str
    submitted_by: str = ""
    file_name: str = ""
    size_bytes: int = 0


@dataclass
class EvidenceBatch:
    """Signal to a unit workflow: submissions committed for that unit, in commit order. The
    relay sends one per unit workflow and round instead of one signal per submission, which
    is what a deadline-day burst costs Temporal. Idempotent by each submission_id.

    Rollout: workers that handle this signal must run before a relay sends it (deploy the
    worker first); the single-submission signal stays handled for recorded histories."""

    submissions: list[EvidenceSubmitted]


@dataclass
class ExtensionRequested:
    """Signal to a cycle workflow: a unit asked for more time. Idempotent by extension_id."""

    extension_id: str
    cycle_code: str
    unit_code: str
    days: int
    reason: str
    requested_by: str
    requested_at: str
