"""`oneassess audit history / verify / exports`: the workflow trail, years later.

History is read (by the indicators service: GetUnitTimeline) from Temporal while it still
holds it, from the exported copy (checked against its sha256) once retention has removed it;
either way the same events in the same words, and the output says which source it used.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import time
from pathlib import Path

import grpc
import typer
from rich.table import Table

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
from oneassess.client import cycles
from oneassess.client.chains import verify_chains
from oneassess.client.paging import all_pages
from oneassess.indicators.v1 import cycle_control_service_pb2 as cc
from oneassess.submissions.v1 import submissions_service_pb2 as sub

app = typer.Typer(
    help="Trace a cycle: workflow histories, their exports and hashes.", no_args_is_help=True
)


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


def _print_trail(trail: cc.GetUnitTimelineResponse) -> None:
    if trail.source == cc.TIMELINE_SOURCE_TEMPORAL:
        console.print(f"[bold]{trail.workflow_id}[/]  source: Temporal")
    else:
        console.print(
            f"[bold]{trail.workflow_id}[/]  source: exported history (Temporal no longer holds it)"
        )
    for run_trail in trail.runs:
        check = ""
        if trail.source == cc.TIMELINE_SOURCE_EXPORT:
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
    whom, scored. Read by the indicators service from Temporal while it holds it, from the
    stored export (checked against its sha256) afterwards. Office and auditors; a unit reads
    its own.

    Example: oneassess audit history haizhou-2026 --unit baiquan-town --as auditor
    """

    async def go() -> cc.GetUnitTimelineResponse:
        async with clients() as svc:
            return await svc.cycles.GetUnitTimeline(
                cc.GetUnitTimelineRequest(cycle_code=cycle_code, unit_code=unit)
            )

    trail = run(go)
    if json_output:
        print_json(trail)
    else:
        _print_trail(trail)
    if trail.problems:
        fail("\n".join(trail.problems))


class ExportState(enum.Enum):
    """Where the export of a cycle's histories stands, as the cycle's status tells it."""

    DONE = "done"
    RUNNING = "running"
    CYCLE_OPEN = "cycle open"  # exports start once the cycle's workflow has closed
    UNKNOWN = "unknown"  # Temporal no longer holds (or cannot say)


_EXPORT_STATES = {
    cc.HISTORY_EXPORT_STATE_DONE: ExportState.DONE,
    cc.HISTORY_EXPORT_STATE_RUNNING: ExportState.RUNNING,
    cc.HISTORY_EXPORT_STATE_CYCLE_OPEN: ExportState.CYCLE_OPEN,
}


async def export_state(svc, cycle_code: str) -> ExportState:
    """The history export's state as CycleControlService reports it; UNKNOWN when the cycle's
    workflow is gone from Temporal (or cannot answer)."""
    try:
        found = await cycles.status(svc, cycle_code)
    except grpc.aio.AioRpcError as err:
        if err.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION):
            return ExportState.UNKNOWN
        raise
    return _EXPORT_STATES.get(found.history_export, ExportState.UNKNOWN)


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
    svc, cycle_code: str, *, wait_seconds: float, progress, poll: float = 1.0
) -> list[sub.HistoryExport]:
    """The cycle's exports once its export has finished; within `wait_seconds` (0: now or
    never), saying once a poll what is still running. Refused while it still runs."""
    submissions = svc.submissions
    deadline = time.monotonic() + wait_seconds
    said, said_at = "", 0.0
    while True:
        exports = await list_exports(submissions, cycle_code)
        state = await export_state(svc, cycle_code)
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
                svc,
                cycle_code,
                wait_seconds=timeout_minutes * 60 if wait else 0.0,
                progress=lambda line: err_console.print(line, highlight=False),
            )
            return [(e, (await read_export(svc.submissions, e))[1]) for e in exports]

    results = run(go)
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
