"""Domain <-> proto for the submissions service (no I/O, no rules)."""

from __future__ import annotations

from datetime import datetime

from oneassess.submissions.v1 import submissions_service_pb2 as pb
from services.common.timestamps import moment, timestamp
from services.submissions import model
from services.submissions.records_repository import HistoryExportRow, StoredNotification
from services.submissions.repository import StoredSubmission

ASK_STATES = {
    model.MISSING: pb.ASK_STATE_MISSING,
    model.SUBMITTED: pb.ASK_STATE_SUBMITTED,
    model.LATE: pb.ASK_STATE_LATE,
}


def submission_pb(s: StoredSubmission) -> pb.Submission:
    return pb.Submission(
        id=s.id,
        cycle_code=s.cycle_code,
        unit_code=s.unit_code,
        evidence_key=s.evidence_key,
        version=s.version,
        file_name=s.file_name,
        format=s.format,
        size_bytes=s.size_bytes,
        sha256=s.sha256,
        effective_date=s.effective_date.isoformat() if s.effective_date else "",
        submitted_at=timestamp(s.submitted_at),
        submitted_by=s.submitted_by,
        current=s.current,
    )


def window_pb(cycle_code: str, window: model.Window) -> pb.CollectionWindow:
    return pb.CollectionWindow(
        cycle_code=cycle_code,
        opens_at=timestamp(window.opens_at),
        deadline=timestamp(window.deadline),
        closes_at=timestamp(window.closes_at),
    )


def _words(prefix: str, enum) -> dict[int, str]:
    """Enum number -> the word stored for it (NOTIFICATION_KIND_REVIEW_REMINDER ->
    "review_reminder"); UNSPECIFIED -> ""."""
    return {
        number: "" if name.endswith("_UNSPECIFIED") else name.removeprefix(prefix).lower()
        for name, number in enum.items()
    }


NOTIFICATION_KINDS = _words("NOTIFICATION_KIND_", pb.NotificationKind)
CHANNELS = _words("NOTIFICATION_CHANNEL_", pb.NotificationChannel)
OUTCOMES = _words("NOTIFICATION_OUTCOME_", pb.NotificationOutcome)
RECIPIENT_ROLES = _words("RECIPIENT_ROLE_", pb.RecipientRole)


def _number(words: dict[int, str], word: str) -> int:
    return next((n for n, w in words.items() if w == word), 0)


def notification_from_pb(n: pb.Notification, at: datetime) -> StoredNotification:
    """A requested notification in the stored words (an unknown enum number as its digits,
    which the rules then refuse)."""
    return StoredNotification(
        id=n.id,
        cycle_code=n.cycle_code,
        unit_code=n.unit_code,
        department=n.department,
        recipient=n.recipient,
        recipient_role=RECIPIENT_ROLES.get(n.recipient_role, str(n.recipient_role)),
        kind=NOTIFICATION_KINDS.get(n.kind, str(n.kind)),
        channel=CHANNELS.get(n.channel, str(n.channel)),
        outcome=OUTCOMES.get(n.outcome, str(n.outcome)),
        subject=n.subject,
        body=n.body,
        evidence_keys=tuple(n.evidence_keys),
        at=at,
        error=n.error,
        point=n.point,
    )


def notification_pb(n: StoredNotification) -> pb.Notification:
    return pb.Notification(
        id=n.id,
        cycle_code=n.cycle_code,
        unit_code=n.unit_code,
        department=n.department,
        recipient=n.recipient,
        recipient_role=_number(RECIPIENT_ROLES, n.recipient_role),
        kind=_number(NOTIFICATION_KINDS, n.kind),
        channel=_number(CHANNELS, n.channel),
        outcome=_number(OUTCOMES, n.outcome),
        subject=n.subject,
        body=n.body,
        evidence_keys=list(n.evidence_keys),
        at=timestamp(n.at),
        error=n.error,
        point=n.point,
    )


def history_export_from_pb(
    export: pb.HistoryExport, *, sha256: str, size_bytes: int
) -> HistoryExportRow:
    """The export's metadata with the hash and size computed from its bytes."""
    return HistoryExportRow(
        workflow_id=export.workflow_id,
        run_id=export.run_id,
        workflow_type=export.workflow_type,
        cycle_code=export.cycle_code,
        unit_code=export.unit_code,
        close_time=moment(export, "close_time"),
        event_count=export.event_count,
        sha256=sha256,
        size_bytes=size_bytes,
    )


def history_export_pb(e: HistoryExportRow) -> pb.HistoryExport:
    return pb.HistoryExport(
        workflow_id=e.workflow_id,
        run_id=e.run_id,
        workflow_type=e.workflow_type,
        cycle_code=e.cycle_code,
        unit_code=e.unit_code,
        close_time=timestamp(e.close_time),
        event_count=e.event_count,
        sha256=e.sha256,
        size_bytes=e.size_bytes,
        exported_at=timestamp(e.exported_at),
    )
