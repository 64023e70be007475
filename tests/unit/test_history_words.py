"""An auditor reads a batch of submissions in a unit's history as one line per submission."""

from __future__ import annotations

from google.protobuf.timestamp_pb2 import Timestamp
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import History, HistoryEvent
from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter

from oneassess.contract import (
    SIGNAL_EVIDENCE_BATCH,
    SIGNAL_EVIDENCE_SUBMITTED,
    EvidenceBatch,
    EvidenceSubmitted,
)
from oneassess.history import describe


def _submitted(n: int) -> EvidenceSubmitted:
    return EvidenceSubmitted(
        submission_id=f"s{n}",
        cycle_code="c",
        unit_code="baiquan-town",
        evidence_key=f"key-{n}",
        sha256=f"{n}" * 64,
        version=n,
        submitted_at="2026-12-01T09:00:00+08:00",
        submitted_by="unit:baiquan-town",
        file_name=f"file-{n}.pdf",
    )


def _signal(event_id: int, name: str, arg) -> HistoryEvent:
    event = HistoryEvent(
        event_id=event_id,
        event_type=EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
        event_time=Timestamp(seconds=1_800_000_000),
    )
    attrs = event.workflow_execution_signaled_event_attributes
    attrs.signal_name = name
    attrs.input.payloads.extend(DataConverter.default.payload_converter.to_payloads([arg]))
    return event


def test_a_batch_reads_as_one_entry_per_submission_like_single_signals():
    events = [
        _signal(5, SIGNAL_EVIDENCE_SUBMITTED, _submitted(1)),
        _signal(9, SIGNAL_EVIDENCE_BATCH, EvidenceBatch([_submitted(2), _submitted(3)])),
    ]
    entries = describe(WorkflowHistory("w", History(events=events).events))
    assert [(e.event_id, e.kind) for e in entries] == [
        (5, "submitted"),
        (9, "submitted"),
        (9, "submitted"),
    ]
    assert [e.data["submission_id"] for e in entries] == ["s1", "s2", "s3"]
    assert entries[2].text == (
        f"submitted key-3 v3 (file-3.pdf) sha256 {'3' * 64} by unit:baiquan-town"
        " at 2026-12-01T09:00:00+08:00"
    )
