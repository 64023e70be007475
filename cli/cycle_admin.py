"""`oneassess cycle start / status / calendar / close-collection` and `oneassess extension
decide / grant`: the assessment office drives a cycle's workflow. Every change is a Temporal
update whose validator refuses a bad request before it enters the cycle's history.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import typer
from rich.table import Table
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from cli.common import (
    JSON_OPTION,
    acting,
    clients,
    command_group,
    console,
    fail,
    print_json,
    run,
    settings,
)
from oneassess.contract import cycle_workflow_id
from oneassess.indicators.v1 import indicators_service_pb2 as ind
from workflows import control
from workflows.model import (
    CalendarChange,
    CloseCollectionEarly,
    CycleCalendar,
    CycleStatus,
    ExtendUnitRequest,
    ExtensionDecision,
    ExtensionRecord,
)


def register(app: typer.Typer) -> None:
    cycle = command_group(app, "cycle", "Cycles: create, fold, run on their calendar.")
    cycle.command("start")(start)
    cycle.command("status")(status)
    cycle.command("calendar")(calendar)
    cycle.command("close-collection")(close_collection)
    cycle.command("wait")(wait)
    extension = command_group(
        app, "extension", "Extension requests: decide them, or grant one directly."
    )
    extension.command("decide")(decide)
    extension.command("grant")(grant)


async def _client() -> Client:
    return await control.connect(settings())


def _who() -> str:
    return f"cli:{acting.value}"


async def _update(cycle_code: str, update: str, argument: Any, result_type: type) -> Any:
    client = await _client()
    try:
        return await control.update(client, cycle_code, update, argument, result_type)
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        fail(f"refused: {getattr(cause, 'message', None) or cause}")
    except RPCError as err:
        _explain(err, cycle_code)


def _explain(err: RPCError, cycle_code: str) -> None:
    if err.status == RPCStatusCode.NOT_FOUND:
        fail(
            f"no running workflow for cycle {cycle_code!r}: start it with `oneassess cycle start {cycle_code}`"
        )
    if err.status == RPCStatusCode.UNAVAILABLE:
        fail(
            f"cannot reach Temporal at {settings().temporal_address}: is the stack running (`oneassess up`)?"
        )
    fail(f"{err.status.name if err.status else 'error'}: {err.message}")


def start(
    cycle_code: str = typer.Argument(..., help="a folded cycle's code"),
    compress: float = typer.Option(
        0.0,
        "--compress",
        help="plan seconds per real second, e.g. 8640 runs 100 days in under 17 minutes",
    ),
    span_minutes: float = typer.Option(
        0.0,
        "--span-minutes",
        help="fit the whole calendar (opens .. end of appeals) into this many minutes from now",
    ),
    opens: str = typer.Option(
        "", "--opens", help="explicit calendar (ISO 8601 with offset): all six or none"
    ),
    evidence_due: str = typer.Option("", "--evidence-due"),
    collection_closes: str = typer.Option("", "--collection-closes"),
    review_due: str = typer.Option("", "--review-due"),
    publish: str = typer.Option("", "--publish"),
    appeal_deadline: str = typer.Option("", "--appeal-deadline"),
    window: int = typer.Option(
        500, "--window", help="unit workflows started per run (pending children)"
    ),
) -> None:
    """Start a folded cycle's workflow on its calendar (or a compressed one, for demos and tests).

    Example: oneassess cycle start haizhou-2026 --span-minutes 10
    """
    explicit = [opens, evidence_due, collection_closes, review_due, publish, appeal_deadline]
    calendar = None
    if any(explicit):
        if not all(explicit):
            fail(
                "an explicit calendar needs all of --opens, --evidence-due, --collection-closes, --review-due, --publish, --appeal-deadline"
            )
        calendar = CycleCalendar(*explicit)
        from workflows.timeline import order_problems

        try:
            problems = order_problems(calendar)
        except ValueError as err:
            fail(f"calendar: {err}")
        if problems:
            fail("calendar: " + "; ".join(problems))
    if compress and span_minutes:
        fail("give --compress or --span-minutes, not both")
    if compress and compress < 1:
        fail(f"--compress must be at least 1, got {compress:g}")
    if not 1 <= window <= 500:
        fail(f"--window must be 1 to 500, got {window}")

    async def go() -> str:
        async with clients() as svc:  # a clear error now rather than a failed workflow later
            cycle = (
                await svc.indicators.GetCycle(ind.GetCycleRequest(cycle_code=cycle_code))
            ).cycle
        if cycle.state != ind.CYCLE_STATE_FOLDED:
            fail(f"cycle {cycle_code!r} is not folded yet: fold it first")
        client = await _client()
        try:
            handle = await control.start_cycle(
                client,
                settings(),
                cycle_code,
                compress_factor=compress,
                span_seconds=span_minutes * 60,
                calendar=calendar,
                window=window,
            )
        except WorkflowAlreadyStartedError:
            fail(
                f"cycle {cycle_code!r} already has a running workflow: see `oneassess cycle status {cycle_code}`"
            )
        except RPCError as err:
            _explain(err, cycle_code)
        return handle.result_run_id or ""

    run_id = run(go)
    console.print(f"started workflow {cycle_workflow_id(cycle_code)} (run {run_id})")


def status(
    cycle_code: str = typer.Argument(..., help="cycle code"), json_output: bool = JSON_OPTION
) -> None:
    """Where a cycle is: phase, calendar, units started, extensions, score runs.

    Example: oneassess cycle status haizhou-2026
    """

    async def go() -> CycleStatus:
        client = await _client()
        try:
            return await control.status(client, cycle_code)
        except RPCError as err:
            _explain(err, cycle_code)
        raise AssertionError("unreachable")

    found = run(go)
    if json_output:
        print_json(asdict(found))
        return
    console.print(
        f"[bold]{found.cycle_code}[/]  phase [bold]{found.phase}[/]  (workflow run {found.run})"
    )
    table = Table("milestone", "time")
    for name in CycleCalendar.MILESTONES:
        table.add_row(name, getattr(found.calendar, name))
    console.print(table)
    console.print(
        f"units: {found.units_started} of {found.units_total} started; extensions: "
        f"{found.extensions_pending} pending, {found.extensions_approved} approved, {found.extensions_rejected} rejected; "
        f"score runs: {found.score_runs or 'none yet'}"
    )


def calendar(
    cycle_code: str = typer.Argument(..., help="cycle code"),
    evidence_due: str = typer.Option("", "--evidence-due", help="ISO 8601 with offset"),
    collection_closes: str = typer.Option("", "--collection-closes"),
    review_due: str = typer.Option("", "--review-due"),
    publish: str = typer.Option("", "--publish"),
    appeal_deadline: str = typer.Option("", "--appeal-deadline"),
    json_output: bool = JSON_OPTION,
) -> None:
    """Move milestones of a running cycle (the order must hold; a passed milestone cannot move).

    Example: oneassess cycle calendar haizhou-2026 --evidence-due 2027-01-05T18:00:00+08:00
    """
    change = CalendarChange(
        evidence_due, collection_closes, review_due, publish, appeal_deadline, _who()
    )
    changed = run(lambda: _update(cycle_code, "change_calendar", change, CycleCalendar))
    if json_output:
        print_json(asdict(changed))
        return
    for name in CycleCalendar.MILESTONES:
        console.print(f"  {name:<18} {getattr(changed, name)}")


def wait(
    cycle_code: str = typer.Argument(..., help="cycle code"),
    phase: str = typer.Option(
        ..., "--phase", help="collecting, reviewing, scoring, published, final or closed"
    ),
    timeout_minutes: float = typer.Option(
        60.0, "--timeout-minutes", help="give up after this long"
    ),
) -> None:
    """Wait until a cycle reaches a phase (or a later one): for scripts and walkthroughs.

    Example: oneassess cycle wait haizhou-2026 --phase published
    """
    from workflows.model import CYCLE_PHASES

    if phase not in CYCLE_PHASES:
        fail(f"--phase: unknown phase {phase!r}; use one of {', '.join(CYCLE_PHASES)}")

    async def go():
        client = await _client()
        try:
            return await control.wait_for_phase(
                client, cycle_code, phase, within_seconds=timeout_minutes * 60
            )
        except RPCError as err:
            _explain(err, cycle_code)
        except TimeoutError as err:
            fail(str(err))

    run(go)
    console.print(f"cycle {cycle_code} has reached {phase}")


def close_collection(cycle_code: str = typer.Argument(..., help="cycle code")) -> None:
    """Close collection now: asks lock (except extended units') and review starts.

    Example: oneassess cycle close-collection haizhou-2026
    """
    changed = run(
        lambda: _update(
            cycle_code, "close_collection_early", CloseCollectionEarly(_who()), CycleCalendar
        )
    )
    console.print(f"collection closed at {changed.collection_closes}")


def decide(
    cycle_code: str = typer.Argument(..., help="cycle code"),
    unit: str = typer.Option("", "--unit", help="the unit whose pending request to decide"),
    extension_id: str = typer.Option("", "--id", help="the request id (instead of --unit)"),
    approve: bool = typer.Option(..., "--approve/--reject", help="approve or reject"),
    days: int = typer.Option(0, "--days", help="days granted (default: what the unit asked for)"),
) -> None:
    """Approve or reject a unit's extension request; approval moves its deadline, lock and reminders.

    Example: oneassess extension decide haizhou-2026 --unit baiquan-town --approve
    """
    if not unit and not extension_id:
        fail("name the request: --unit CODE or --id EXTENSION_ID")
    decision = ExtensionDecision(unit, extension_id, approve, _who(), days)

    async def go() -> ExtensionRecord:
        # A request travels from the submissions service's outbox to the workflow: give a
        # just-filed one a few seconds to arrive before the workflow's validator is asked.
        client = await _client()
        try:
            await control.wait_for_pending_extension(
                client, cycle_code, unit_code=unit, within_seconds=5
            )
        except TimeoutError:
            pass  # let the validator say what is wrong
        return await _update(cycle_code, "decide_extension", decision, ExtensionRecord)

    _print_record(run(go))


def grant(
    cycle_code: str = typer.Argument(..., help="cycle code"),
    unit: str = typer.Option(..., "--unit", help="unit code"),
    days: int = typer.Option(..., "--days", help="1 to 60"),
    reason: str = typer.Option("", "--reason"),
) -> None:
    """Extend a unit without a request from it.

    Example: oneassess extension grant haizhou-2026 --unit finance --days 5 --reason typhoon
    """
    record = run(
        lambda: _update(
            cycle_code,
            "extend_unit",
            ExtendUnitRequest(unit, days, reason, _who()),
            ExtensionRecord,
        )
    )
    _print_record(record)


def _print_record(record: ExtensionRecord) -> None:
    if record.status == "approved":
        console.print(
            f"{record.unit_code}: extension {record.extension_id} approved by {record.decided_by}; deadline {record.deadline}, lock {record.closes_at}"
        )
    else:
        console.print(
            f"{record.unit_code}: extension {record.extension_id} {record.status} by {record.decided_by}"
        )
