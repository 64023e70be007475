"""`oneassess audit history / verify / exports`: the workflow trail, years later.

History is read from Temporal while it still holds it, from the exported copy (checked
against its sha256) once retention has removed it; either way the same events in the same
words, and the output says which source it used.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import typer
from rich.table import Table
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode

from cli import workflow
from cli.common import (
    JSON_OPTION,
    Refused,
    clients,
    console,
    err_console,
    fail,
    print_json,
    run,
    settings,
    to_dict,
)
from oneassess.client.chains import verify_chains
from oneassess.client.paging import all_pages
from oneassess.contract import cycle_workflow_id, export_workflow_id, unit_workflow_id
from oneassess.submissions.v1 import submissions_service_pb2 as sub
from workflows.history import Entry, describe

app = typer.Typer(
    help="Trace a cycle: workflow histories, their exports and hashes.", no_args_is_help=True
)


@dataclass
class RunTrail:
    run_id: str
    entries: list[Entry]
    sha256: str = ""
    verified: bool | None = None  # None when read from Temporal (nothing to verify against)


@dataclass
class Trail:
    workflow_id: str
    source: str  # "temporal" or "export"
    runs: list[RunTrail] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _not_found(err: RPCError) -> bool:
    return err.status == RPCStatusCode.NOT_FOUND


async def from_temporal(client: Client, workflow_id: str) -> list[WorkflowHistory] | None:
    """Every run of the workflow, oldest first; None once Temporal no longer has them all."""
    try:
        latest = await client.get_workflow_handle(workflow_id).fetch_history()
    except RPCError as err:
        if _not_found(err):
            return None
        raise
    runs = [latest]
    previous = latest.events[
        0
    ].workflow_execution_started_event_attributes.continued_execution_run_id
    while previous:
        try:
            earlier = await client.get_workflow_handle(workflow_id, run_id=previous).fetch_history()
        except RPCError as err:
            if _not_found(err):
                return None
            raise
        runs.insert(0, earlier)
        previous = earlier.events[
            0
        ].workflow_execution_started_event_attributes.continued_execution_run_id
    return runs


async def list_exports(
    submissions, cycle_code: str, unit_code: str = ""
) -> list[sub.HistoryExport]:
    return await all_pages(
        submissions.ListHistoryExports,
        sub.ListHistoryExportsRequest(cycle_code=cycle_code, unit_code=unit_code, page_size=5000),
        "exports",
    )


async def read_export(submissions, export: sub.HistoryExport) -> tuple[bytes, bool]:
    """The stored bytes and whether they still hash to the sha256 recorded at export time."""
    reply = await submissions.GetHistoryExport(
        sub.GetHistoryExportRequest(workflow_id=export.workflow_id, run_id=export.run_id)
    )
    data = reply.history_json
    return data, hashlib.sha256(data).hexdigest() == reply.export.sha256


async def trail_of(
    client: Client, submissions, cycle_code: str, workflow_id: str, unit_code: str
) -> Trail:
    runs = await from_temporal(client, workflow_id)
    if runs is not None:
        return Trail(workflow_id, "temporal", [RunTrail(h.run_id, describe(h)) for h in runs])
    trail = Trail(workflow_id, "export")
    exports = [
        e
        for e in await list_exports(submissions, cycle_code, unit_code)
        if e.workflow_id == workflow_id
    ]
    if not exports:
        trail.problems.append(
            f"{workflow_id}: not in Temporal (retention passed or never run) and never exported"
        )
    for export in sorted(exports, key=lambda e: e.close_time.ToDatetime()):
        data, ok = await read_export(submissions, export)
        if not ok:
            trail.problems.append(
                f"{workflow_id} run {export.run_id}: export does not match its sha256 "
                f"{export.sha256}"
            )
        history = (
            WorkflowHistory.from_json(workflow_id, data.decode("utf-8", errors="replace"))
            if ok
            else None
        )
        entries = describe(history) if history else []
        trail.runs.append(RunTrail(export.run_id, entries, export.sha256, ok))
    return trail


def _print_trail(trail: Trail) -> None:
    if trail.source == "temporal":
        console.print(
            f"[bold]{trail.workflow_id}[/]  source: Temporal (namespace "
            f"{settings().temporal_namespace})"
        )
    else:
        console.print(
            f"[bold]{trail.workflow_id}[/]  source: exported history (Temporal no longer holds it)"
        )
    for run_trail in trail.runs:
        check = ""
        if run_trail.verified is not None:
            check = (
                f"  sha256 {run_trail.sha256} {'verified' if run_trail.verified else 'MISMATCH'}"
            )
        console.print(f"\n run {run_trail.run_id}{check}", highlight=False)
        for entry in run_trail.entries:
            console.print(f"  {entry.time}  {entry.text}", highlight=False, markup=False)


@app.command("history")
def history(
    cycle_code: str = typer.Argument(..., help="cycle code, e.g. haizhou-2026"),
    unit: str = typer.Option("", "--unit", help="a unit's workflow instead of the cycle's"),
    json_output: bool = JSON_OPTION,
) -> None:
    """A workflow's history in plain words: reminded when, submitted what (sha256), extended by
    whom, scored.

    Example: oneassess audit history haizhou-2026 --unit baiquan-town --as auditor
    """

    async def go() -> Trail:
        client = await workflow.connect()
        workflow_id = unit_workflow_id(cycle_code, unit) if unit else cycle_workflow_id(cycle_code)
        async with clients() as svc:
            return await trail_of(client, svc.submissions, cycle_code, workflow_id, unit)

    trail = run(go, workflow.explainer(cycle_code))
    if json_output:
        print_json(asdict(trail))
    else:
        _print_trail(trail)
    if trail.problems:
        fail("\n".join(trail.problems))


class ExportState(enum.Enum):
    """Where the export of a cycle's histories stands, as Temporal tells it."""

    DONE = "done"
    RUNNING = "running"
    CYCLE_OPEN = "cycle open"  # exports start once the cycle's workflow has closed
    UNKNOWN = "unknown"  # Temporal no longer holds (or cannot say)


async def export_state(client: Client | None, cycle_code: str) -> ExportState:
    """The export workflow's state; while it has not started, whether the cycle is running."""
    if client is None:
        return ExportState.UNKNOWN
    for workflow_id, running in (
        (export_workflow_id(cycle_code), ExportState.RUNNING),
        (cycle_workflow_id(cycle_code), ExportState.CYCLE_OPEN),
    ):
        try:
            found = await client.get_workflow_handle(workflow_id).describe()
        except RPCError as err:
            if _not_found(err):
                continue
            raise
        if found.status == WorkflowExecutionStatus.RUNNING:
            return running
        if workflow_id == export_workflow_id(cycle_code):
            return ExportState.DONE
    return ExportState.UNKNOWN


async def _temporal_or_none() -> Client | None:
    """Temporal when reachable: an auditor far from it still verifies what was exported."""
    try:
        return await workflow.connect()
    except Refused:
        return None


def _still_running(state: ExportState, cycle_code: str, exported: int) -> str:
    if state is ExportState.RUNNING:
        return (
            f"the history export of cycle {cycle_code!r} is still running "
            f"({exported} exported so far)"
        )
    return (
        f"cycle {cycle_code!r} has not closed yet: its histories are exported when it closes "
        f"({exported} exported so far)"
    )


async def exports_when_complete(
    submissions, cycle_code: str, *, wait_seconds: float, progress, poll: float = 1.0
) -> list[sub.HistoryExport]:
    """The cycle's exports once its export has finished; within `wait_seconds` (0: now or
    never), saying once a poll what is still running. Refused while it still runs."""
    client = await _temporal_or_none()
    deadline = time.monotonic() + wait_seconds
    said, said_at = "", 0.0
    while True:
        exports = await list_exports(submissions, cycle_code)
        state = await export_state(client, cycle_code)
        if state in (ExportState.DONE, ExportState.UNKNOWN):
            return exports
        if time.monotonic() >= deadline:
            waited = f" after waiting {wait_seconds:.0f}s" if wait_seconds else ""
            hint = "" if wait_seconds else "; use --wait to wait for it"
            raise Refused(_still_running(state, cycle_code, len(exports)) + waited + hint)
        line = f"waiting: {_still_running(state, cycle_code, len(exports))}"
        if line != said or time.monotonic() - said_at > 15:  # news, or a sign of life
            progress(line)
            said, said_at = line, time.monotonic()
        await asyncio.sleep(poll)


@app.command("verify")
def verify(
    cycle_code: str = typer.Argument(..., help="cycle code"),
    wait: bool = typer.Option(
        False, "--wait", help="wait until the cycle's history export has finished"
    ),
    timeout_minutes: float = typer.Option(
        10.0, "--timeout-minutes", help="with --wait: give up after this long"
    ),
    anchors: Path = typer.Option(
        None,
        "--anchors",
        help="heads kept from earlier checks (default: ONEASSESS_HOME/audit-anchors.json)",
    ),
) -> None:
    """Verify every service's audit chain (each entry's hash, the links, and the heads kept \
from earlier checks, so a truncated, shortened or recomputed chain is reported), then re-hash \
every exported history of a cycle against the sha256 recorded when it was exported. Right \
after a cycle closes its export may still run: --wait waits for it.

    Example: oneassess audit verify haizhou-2026 --wait --as auditor
    """
    anchors_path = anchors or settings().home / "audit-anchors.json"
    chain_problems: list[str] = []

    async def go() -> list[tuple[sub.HistoryExport, bool]]:
        async with clients() as svc:
            for chain in await verify_chains(svc, anchors_path):
                if not chain.offered:
                    console.print(f"{chain.service}: does not offer audit chain verification")
                elif chain.ok:
                    console.print(
                        f"{chain.service}: audit chain of {chain.entries} entries verified "
                        f"({chain.anchors_checked} kept heads still in it; head {chain.head_seq} "
                        f"{chain.head_hash[:16]}…)"
                    )
                else:
                    chain_problems.append(
                        f"BROKEN {chain.service} audit chain at entry {chain.first_bad_seq}: "
                        f"{chain.reason}"
                    )
            exports = await exports_when_complete(
                svc.submissions,
                cycle_code,
                wait_seconds=timeout_minutes * 60 if wait else 0.0,
                progress=lambda line: err_console.print(line, highlight=False),
            )
            return [(e, (await read_export(svc.submissions, e))[1]) for e in exports]

    results = run(go, workflow.explainer(cycle_code))
    if chain_problems:
        for line in chain_problems:
            err_console.print(line, highlight=False)
    if not results:
        fail(f"no exported histories for cycle {cycle_code!r}")
    bad = [e for e, ok in results if not ok]
    console.print(
        f"{len(results) - len(bad)} of {len(results)} exported histories match their sha256"
    )
    if bad or chain_problems:
        fail(
            "\n".join(
                [
                    *(
                        f"MISMATCH {e.workflow_id} run {e.run_id} (recorded sha256 {e.sha256})"
                        for e in bad
                    ),
                    *chain_problems,
                ]
            )
        )


@app.command("exports")
def exports(
    cycle_code: str = typer.Argument(..., help="cycle code"),
    unit: str = typer.Option("", "--unit", help="only this unit's"),
    json_output: bool = JSON_OPTION,
) -> None:
    """List every exported history of a cycle: workflow id, run id, close time, events, sha256.

    Example: oneassess audit exports haizhou-2026 --as auditor
    """

    async def go() -> list[sub.HistoryExport]:
        async with clients() as svc:
            return await list_exports(svc.submissions, cycle_code, unit)

    found = run(go)
    if json_output:
        print_json([to_dict(e) for e in found])
        return
    table = Table("workflow id", "run id", "closed", "events", "sha256")
    for e in found:
        table.add_row(
            e.workflow_id, e.run_id, e.close_time.ToJsonString(), str(e.event_count), e.sha256
        )
    console.print(table)
    console.print(f"{len(found)} exported histories")
