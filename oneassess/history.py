"""A workflow history in plain words, for auditors (pure: events in, entries out).

The same function reads a history fetched from Temporal and one read back from an export,
so `oneassess audit history` shows the same events whichever source it used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter

_convert = DataConverter.default.payload_converter


@dataclass
class Entry:
    time: str
    event_id: int
    kind: str  # started, reminded, submitted, extended, scored, phase, admin, activity, closed...
    text: str
    data: dict[str, Any] = field(default_factory=dict)


def _values(payloads) -> list[Any]:
    try:
        return list(_convert.from_payloads(list(payloads.payloads)))
    except Exception:  # an undecodable payload is shown as absent, never crashes the report
        return []


def _first(payloads) -> Any:
    values = _values(payloads) if payloads is not None else []
    return values[0] if values else None


def _short(sha: str) -> str:
    return sha[:16] + "…" if len(sha) > 16 else sha


def _recipients(ids: list[str]) -> list[str]:
    return [i.rsplit("/", 1)[-1] for i in ids]


def _started(attrs, workflow_type: str) -> tuple[str, str, dict]:
    arg = _first(attrs.input) or {}
    if workflow_type == "UnitWorkflow" and isinstance(arg, dict):
        asks = arg.get("asks", [])
        text = (
            f"unit workflow started: {len(asks)} ask(s), deadline {arg.get('deadline')}, "
            f"asks lock {arg.get('closes_at')}"
        )
        return (
            "started",
            text,
            {"asks": asks, "deadline": arg.get("deadline"), "closes_at": arg.get("closes_at")},
        )
    if workflow_type == "CycleWorkflow" and isinstance(arg, dict):
        state = arg.get("state") or {}
        if attrs.continued_execution_run_id:
            text = (
                f"cycle workflow continued as new from run {attrs.continued_execution_run_id}"
                f" (phase {state.get('phase')}, {state.get('units_started')} units started)"
            )
        else:
            text = f"cycle workflow started for {arg.get('cycle_code')}"
        return "started", text, {"continued_from": attrs.continued_execution_run_id}
    return "started", f"{workflow_type} started", {}


def _submitted(arg: dict) -> tuple[str, str, dict]:
    text = (
        f"submitted {arg.get('evidence_key')} v{arg.get('version')}"
        f"{' (' + arg['file_name'] + ')' if arg.get('file_name') else ''}"
        f" sha256 {arg.get('sha256')} by {arg.get('submitted_by') or 'unknown'}"
        f" at {arg.get('submitted_at')}"
    )
    return "submitted", text, arg


def _signal(attrs) -> tuple[str, str, dict] | list[tuple[str, str, dict]]:
    name = attrs.signal_name
    arg = _first(attrs.input)
    arg = arg if isinstance(arg, dict) else {}
    if name == "evidence_submitted":
        return _submitted(arg)
    if name == "evidence_batch_submitted":  # one entry per submission the batch carried
        return [_submitted(a) for a in arg.get("submissions", []) if isinstance(a, dict)]
    if name == "deadline_extended":
        text = (
            f"extended by {arg.get('approved_by')}: deadline {arg.get('deadline')},"
            f" lock {arg.get('closes_at')}"
            f"{' — ' + arg['reason'] if arg.get('reason') else ''}"
        )
        return "extended", text, arg
    if name == "calendar_changed":
        return (
            "calendar",
            f"calendar changed: deadline {arg.get('deadline')}, lock {arg.get('closes_at')}",
            arg,
        )
    if name == "scored":
        if not arg.get("composite"):
            text = "result: not scored" + (" (final)" if arg.get("final") else "")
        else:
            text = (
                f"scored: composite {arg.get('composite')}, rank {arg.get('rank')}"
                f" in {arg.get('group') or 'its group'}, "
                f"tier {arg.get('tier')}{' (final)' if arg.get('final') else ' (published)'}"
            )
        return "scored", text, arg
    if name == "extension_requested":
        text = (
            f"{arg.get('unit_code')} asked for {arg.get('days')} more day(s):"
            f" {arg.get('reason')} ({arg.get('requested_by')})"
        )
        return "extension_requested", text, arg
    return "signal", f"signal {name}", arg


def _marker(attrs) -> tuple[str, str, dict] | None:
    result = _first(attrs.details.get("result")) if "result" in attrs.details else None
    meta = _first(attrs.details.get("data")) if "data" in attrs.details else None
    activity_type = meta.get("activity_type") if isinstance(meta, dict) else ""
    if activity_type == "send_unit_digest" and isinstance(result, dict):
        if result.get("skipped"):
            return (
                "reminded",
                f"reminder {result.get('point')}: nothing missing after all, nothing sent",
                result,
            )
        to = ", ".join(_recipients(result.get("sent", []))) or "nobody (delivery failed)"
        missing = result.get("missing", [])
        text = (
            f"reminded at {result.get('point')} → {to}:"
            f" {len(missing)} missing ({', '.join(missing)})"
        )
        return "reminded", text, result
    if activity_type:
        return "activity", f"local activity {activity_type}", {"result": result}
    return None


ACTIVITY_WORDS = {
    "load_cycle": "read the cycle plan",
    "open_collection": "opened collection",
    "close_collection": "closed collection",
    "extend_unit": "moved a unit's deadline and lock",
    "compute_scores": "computed scores",
    "publish_scores": "published scores",
    "finalize_scores": "made scores final",
    "remind_assessors": "sent assessor digests",
    "send_notice": "sent a notice",
    "signal_units": "told the units",
    "deliver_results": "delivered results to units",
    "start_history_export": "started the history export",
}


def describe(history: WorkflowHistory) -> list[Entry]:
    """Entries worth reading, in event order (timers and workflow tasks are left out)."""
    entries: list[Entry] = []
    scheduled: dict[int, tuple[str, Any]] = {}
    workflow_type = ""
    for event in history.events:
        found = _describe_event(event, scheduled, workflow_type)
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            workflow_type = event.workflow_execution_started_event_attributes.workflow_type.name
            found = _started(event.workflow_execution_started_event_attributes, workflow_type)
        for kind, text, data in _each(found):
            entries.append(
                Entry(
                    event.event_time.ToDatetime().isoformat() + "Z",
                    event.event_id,
                    kind,
                    text,
                    data,
                )
            )
    return entries


def _each(found) -> list[tuple[str, str, dict]]:
    """An event describes as nothing, one entry, or several (a batch of submissions)."""
    if not found:
        return []
    return found if isinstance(found, list) else [found]


def _describe_event(event: HistoryEvent, scheduled: dict, workflow_type: str):
    kind = event.event_type
    if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
        return _signal(event.workflow_execution_signaled_event_attributes)
    if kind == EventType.EVENT_TYPE_MARKER_RECORDED:
        return _marker(event.marker_recorded_event_attributes)
    if kind == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
        upserted = event.upsert_workflow_search_attributes_event_attributes
        fields = upserted.search_attributes.indexed_fields
        if "Phase" in fields:
            phase = _convert.from_payloads([fields["Phase"]])[0]
            return "phase", f"phase → {phase}", {"phase": phase}
        return None
    if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        attrs = event.activity_task_scheduled_event_attributes
        scheduled[event.event_id] = (attrs.activity_type.name, _first(attrs.input))
        return None
    if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
        attrs = event.activity_task_completed_event_attributes
        name, arg = scheduled.get(attrs.scheduled_event_id, ("", None))
        words = ACTIVITY_WORDS.get(name, name)
        detail = arg.get("request_id") if isinstance(arg, dict) and arg.get("request_id") else ""
        if name == "extend_unit" and isinstance(arg, dict):
            words = (
                f"moved {arg.get('unit_code')}'s deadline to {arg.get('deadline')}"
                f" (lock {arg.get('closes_at')}), approved by {arg.get('approved_by')}"
            )
        if name == "remind_assessors" and isinstance(arg, dict):
            sent = _first(attrs.result) or []
            to = ", ".join(s.split("/")[2] for s in sent) or "nobody (no reviews missing)"
            words = f"assessor digests at {arg.get('point')} → {to}"
        return (
            "activity",
            words + (f" [{detail}]" if detail else ""),
            {"activity": name, "input": arg},
        )
    if kind == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
        attrs = event.activity_task_failed_event_attributes
        name, _ = scheduled.get(attrs.scheduled_event_id, ("", None))
        return (
            "failed",
            f"{ACTIVITY_WORDS.get(name, name)} failed: {attrs.failure.message}",
            {"activity": name},
        )
    if kind == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
        attrs = event.start_child_workflow_execution_initiated_event_attributes
        return "child", f"started {attrs.workflow_id}", {"workflow_id": attrs.workflow_id}
    if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
        attrs = event.workflow_execution_update_accepted_event_attributes
        request = attrs.accepted_request
        arg = _first(request.input.args)
        who = ""
        if isinstance(arg, dict):
            who = (
                arg.get("decided_by")
                or arg.get("approved_by")
                or arg.get("changed_by")
                or arg.get("closed_by")
                or ""
            )
        text = f"admin {request.input.name}{' by ' + who if who else ''}: {arg}"
        return "admin", text, {"update": request.input.name, "input": arg}
    if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
        attrs = event.workflow_execution_continued_as_new_event_attributes
        return (
            "continued",
            f"continued as new in run {attrs.new_execution_run_id}",
            {"run_id": attrs.new_execution_run_id},
        )
    if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
        return "closed", "closed", {}
    if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
        return (
            "closed",
            f"failed: {event.workflow_execution_failed_event_attributes.failure.message}",
            {},
        )
    if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
        return (
            "closed",
            f"terminated: {event.workflow_execution_terminated_event_attributes.reason}",
            {},
        )
    if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
        return "closed", "timed out", {}
    return None
