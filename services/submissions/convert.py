"""Domain <-> proto for the submissions service (no I/O, no rules)."""

from __future__ import annotations

from oneassess.submissions.v1 import submissions_service_pb2 as pb
from services.common.timestamps import timestamp
from services.submissions import model
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


def notification_pb(row) -> pb.Notification:
    return pb.Notification(
        id=row["id"],
        cycle_code=row["cycle_code"],
        unit_code=row["unit_code"],
        department=row["department"],
        recipient=row["recipient"],
        recipient_role=row["recipient_role"],
        kind=row["kind"],
        channel=row["channel"],
        outcome=row["outcome"],
        subject=row["subject"],
        body=row["body"],
        evidence_keys=list(row["evidence_keys"]),
        at=timestamp(row["at"]),
        error=row["error"],
        point=row["point"],
    )


def history_export_pb(row) -> pb.HistoryExport:
    return pb.HistoryExport(
        workflow_id=row["workflow_id"],
        run_id=row["run_id"],
        workflow_type=row["workflow_type"],
        cycle_code=row["cycle_code"],
        unit_code=row["unit_code"],
        close_time=timestamp(row["close_time"]),
        event_count=row["event_count"],
        sha256=row["sha256"],
        size_bytes=row["size_bytes"],
        exported_at=timestamp(row["exported_at"]),
    )
