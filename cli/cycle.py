"""`oneassess cycle ...`: a cycle from its plan to its final scores. The office creates and
folds it (indicators service), runs it on its calendar through CycleControlService (start,
status, calendar, close-collection, close-reviewing, wait: the service drives the workflow,
people never reach Temporal) and computes, publishes and finalizes its scores (scoring
service); auditors verify a run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from cli import cycle_scores
from cli.catalog import source_file
from cli.common import (
    JSON_OPTION,
    Refused,
    clients,
    console,
    fail,
    print_json,
    request_id,
    run,
    say,
)
from oneassess.client import cycles, results, workbooks
from oneassess.client.cycles import MILESTONES
from oneassess.indicators.v1 import cycle_control_service_pb2 as cc
from oneassess.indicators.v1 import indicators_service_pb2 as ind

app = typer.Typer(
    help="Cycles: create from a plan, fold, run on the calendar, score.", no_args_is_help=True
)


@app.command("create")
def cycle_create(
    plan: Path = typer.Argument(..., help="Cycle plan (cycle.yaml format)."),
    tolerance: Path = typer.Option(
        None, "--tolerance", help="Tolerance catalogue; by default the file the plan names."
    ),
    json_output: bool = JSON_OPTION,
) -> None:
    """Create a cycle from its plan: weights sum to 100, calendar in order, reminder offsets, tiers,
    and every equivalence key declared by an imported special assessment. Admin only.

    Example: oneassess cycle create examples/haizhou-2026/cycle.yaml
    """
    if not plan.is_file():
        fail(f"file not found: {plan}")
    tolerance = tolerance or workbooks.tolerance_named_by(plan)
    if tolerance is not None and not tolerance.is_file():
        fail(f"file not found: {tolerance} (the tolerance file the plan names)")

    async def go() -> ind.CreateCycleResponse:
        request = ind.CreateCycleRequest(request_id=request_id(), plan=source_file(plan))
        if tolerance is not None:
            request.tolerance.CopyFrom(source_file(tolerance))
        async with clients() as svc:
            return await svc.indicators.CreateCycle(request)

    cycle = run(go).cycle
    if json_output:
        print_json(cycle)
    else:
        weighted = len(cycle.weights)
        say(
            f"created cycle {cycle.code} ({cycle.name}) with {weighted} special assessments; "
            f"next: oneassess cycle fold {cycle.code}"
        )


@app.command("fold")
def cycle_fold(
    code: str = typer.Argument(..., help="Cycle code."), json_output: bool = JSON_OPTION
) -> None:
    """Fold a cycle: freeze the latest version of each of its special assessments, the canonical
    evidence keys and every unit's asks. A folded catalogue never changes. Admin only.

    Example: oneassess cycle fold haizhou-2026
    """

    async def go() -> ind.FoldCycleResponse:
        async with clients() as svc:
            return await svc.indicators.FoldCycle(
                ind.FoldCycleRequest(request_id=request_id(), cycle_code=code)
            )

    cycle = run(go).cycle
    if json_output:
        print_json(cycle)
        return
    versions = ", ".join(f"{v.code} v{v.version}" for v in cycle.folded_versions)
    say(f"folded {cycle.code}: {versions}\ncatalogue sha256 {cycle.catalogue_sha256}")


@app.command("show")
def cycle_show(
    code: str = typer.Argument(..., help="Cycle code."), json_output: bool = JSON_OPTION
) -> None:
    """Show a cycle: state, weights, calendar and the versions it folded.

    Example: oneassess cycle show haizhou-2026 --json
    """

    async def go() -> ind.GetCycleResponse:
        async with clients() as svc:
            return await svc.indicators.GetCycle(ind.GetCycleRequest(cycle_code=code))

    cycle = run(go).cycle
    if json_output:
        print_json(cycle)
        return
    console.print(
        f"{cycle.code}  {cycle.name}  "
        f"[{ind.CycleState.Name(cycle.state).removeprefix('CYCLE_STATE_').lower()}]"
    )
    table = Table("special assessment", "weight", "folded version")
    folded = {v.code: str(v.version) for v in cycle.folded_versions}
    for sa, weight in sorted(cycle.weights.items()):
        table.add_row(sa, f"{weight:g}", folded.get(sa, "-"))
    console.print(table)


@app.command("burden")
def cycle_burden(
    code: str = typer.Argument(..., help="Cycle code."),
    per_unit: bool = typer.Option(False, "--units", help="Also list every unit."),
    json_output: bool = JSON_OPTION,
) -> None:
    """Burden report (减负报告): asks per unit before folding (each special assessment on its own)
    and after, per unit kind and per unit, and how many indicators each ask serves.

    Example: oneassess cycle burden haizhou-2026 --json
    """

    async def go() -> dict[str, Any]:
        async with clients() as svc:
            return await results.burden(svc, code)

    document = run(go)
    if json_output:
        print_json(document)
        return
    _print_burden(document, per_unit)


def _row(values: dict[str, Any], *fields: str) -> list[str]:
    return [
        f"{values[f]:.1f}%" if f == "reduction_percent" else str(values.get(f, "")) for f in fields
    ]


def _print_burden(document: dict[str, Any], per_unit: bool) -> None:
    before_after = ("asks_before", "asks_after", "reduction_percent")
    table = Table("unit kind", "units", "asks before", "asks after", "reduction")
    table.title = f"burden of {document['cycle']}"
    for kind, k in document["by_kind"].items():
        table.add_row(kind, *_row(k, "units", *before_after))
    console.print(table)
    shared = sorted(
        document["asks"], key=lambda a: (-a["indicators"], a["kind"], a["evidence_key"])
    )
    top = Table("unit kind", "ask", "indicators served", "special assessments")
    top.title = "asks serving the most indicators"
    for a in shared[:10]:
        top.add_row(*_row(a, "kind", "evidence_key", "indicators", "special_assessments"))
    console.print(top)
    if per_unit:
        units = Table("unit", "kind", "group", "asks before", "asks after", "reduction")
        for column in ("submitted", "reminders"):
            units.add_column(column)
        for u in document["units"]:
            fields = ("unit", "kind", "group", *before_after, "asks_submitted", "reminders")
            units.add_row(*_row(u, *fields))
        console.print(units)


@app.command("start")
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
    The indicators service starts it (office only); nobody needs Temporal access.

    Example: oneassess cycle start haizhou-2026 --span-minutes 10
    """
    explicit = [opens, evidence_due, collection_closes, review_due, publish, appeal_deadline]
    if any(explicit) and not all(explicit):
        fail(
            "an explicit calendar needs all of --opens, --evidence-due, --collection-closes, "
            "--review-due, --publish, --appeal-deadline"
        )
    if compress and span_minutes:
        fail("give --compress or --span-minutes, not both")
    if compress and compress < 1:
        fail(f"--compress must be at least 1, got {compress:g}")
    if not 1 <= window <= 500:
        fail(f"--window must be 1 to 500, got {window}")
    request = cc.StartCycleRequest(
        request_id=request_id(),
        cycle_code=cycle_code,
        compress_factor=compress,
        span_seconds=span_minutes * 60,
        window=window,
    )
    if all(explicit):
        request.calendar.CopyFrom(
            cc.CycleMilestones(**dict(zip(MILESTONES, explicit, strict=True)))
        )

    async def go() -> cc.StartCycleResponse:
        async with clients() as svc:
            return await svc.cycles.StartCycle(request)

    started = run(go)
    say(f"started workflow {started.workflow_id} (run {started.run_id}) by {started.started_by}")


@app.command("status")
def status(
    cycle_code: str = typer.Argument(..., help="cycle code"), json_output: bool = JSON_OPTION
) -> None:
    """Where a cycle is: phase, calendar, units started, extensions, score runs. Office and
    auditors.

    Example: oneassess cycle status haizhou-2026
    """

    async def go() -> cc.GetCycleStatusResponse:
        async with clients() as svc:
            return await cycles.status(svc, cycle_code)

    found = run(go)
    if json_output:
        print_json(found)
        return
    console.print(
        f"[bold]{found.cycle_code}[/]  phase [bold]{cycles.phase_name(found.phase)}[/]  "
        f"(workflow run {found.run})"
    )
    table = Table("milestone", "time")
    for name in MILESTONES:
        table.add_row(name, getattr(found.calendar, name))
    console.print(table)
    console.print(
        f"units: {found.units_started} of {found.units_total} started; extensions: "
        f"{found.extensions_pending} pending, {found.extensions_approved} approved, "
        f"{found.extensions_rejected} rejected; score runs: "
        f"{list(found.score_runs) or 'none yet'}"
    )
    for e in found.pending_extensions:
        say(f"  pending: {e.unit_code} {e.extension_id} {e.days} day(s), asked by {e.requested_by}")


@app.command("calendar")
def calendar(
    cycle_code: str = typer.Argument(..., help="cycle code"),
    evidence_due: str = typer.Option("", "--evidence-due", help="ISO 8601 with offset"),
    collection_closes: str = typer.Option("", "--collection-closes"),
    review_due: str = typer.Option("", "--review-due"),
    publish: str = typer.Option("", "--publish"),
    appeal_deadline: str = typer.Option("", "--appeal-deadline"),
    json_output: bool = JSON_OPTION,
) -> None:
    """Move milestones of a running cycle: each milestone moved must stay in order with its
    neighbours and in the future; a passed milestone cannot move. Office only.

    Example: oneassess cycle calendar haizhou-2026 --evidence-due 2027-01-05T18:00:00+08:00
    """
    change = cc.CycleMilestones(
        evidence_due=evidence_due,
        collection_closes=collection_closes,
        review_due=review_due,
        publish=publish,
        appeal_deadline=appeal_deadline,
    )

    async def go() -> cc.ChangeCalendarResponse:
        async with clients() as svc:
            return await svc.cycles.ChangeCalendar(
                cc.ChangeCalendarRequest(
                    request_id=request_id(), cycle_code=cycle_code, calendar=change
                )
            )

    changed = run(go)
    if json_output:
        print_json(changed)
        return
    for name in MILESTONES:
        say(f"  {name:<18} {getattr(changed.calendar, name)}")
    say(f"changed by {changed.changed_by}")


@app.command("wait")
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
    if phase not in cycles.PHASES:
        fail(f"--phase: unknown phase {phase!r}; use one of {', '.join(cycles.PHASES)}")

    async def go() -> None:
        async with clients() as svc:
            try:
                await cycles.wait_for_phase(
                    svc, cycle_code, phase, within_seconds=timeout_minutes * 60
                )
            except TimeoutError as err:
                raise Refused(str(err)) from None

    run(go)
    say(f"cycle {cycle_code} has reached {phase}")


@app.command("close-collection")
def close_collection(cycle_code: str = typer.Argument(..., help="cycle code")) -> None:
    """Close collection now: asks lock (except extended units') and review starts. Office only.

    Example: oneassess cycle close-collection haizhou-2026
    """

    async def go() -> cc.CloseCollectionResponse:
        async with clients() as svc:
            return await svc.cycles.CloseCollection(
                cc.CloseCollectionRequest(request_id=request_id(), cycle_code=cycle_code)
            )

    closed = run(go)
    say(f"collection closed at {closed.calendar.collection_closes} by {closed.closed_by}")


@app.command("close-reviewing")
def close_reviewing(
    cycle_code: str = typer.Argument(..., help="cycle code"),
    missing: list[str] = typer.Option(
        [],
        "--override-missing",
        help="close although reviews are missing, naming each department with its count as "
        "`cycle missing-reviews` shows it (DEPT:COUNT, repeat the option)",
    ),
) -> None:
    """Close review now and go straight to scoring and publication: when no review is missing,
    or with --override-missing naming exactly what is. Office only.

    Example: oneassess cycle close-reviewing haizhou-2026
    """

    async def go() -> cc.CloseReviewingResponse:
        async with clients() as svc:
            return await svc.cycles.CloseReviewing(
                cc.CloseReviewingRequest(
                    request_id=request_id(), cycle_code=cycle_code, missing_acknowledged=missing
                )
            )

    closed = run(go)
    note = f" (overriding missing: {', '.join(closed.missing_acknowledged)})"
    say(
        f"review closed at {closed.calendar.review_due} by {closed.closed_by}; scores are "
        f"computed and published now{note if closed.missing_acknowledged else ''}"
    )


# The cycle's scores (scoring service), in a module of their own.
app.command("compute-scores")(cycle_scores.compute_scores)
app.command("publish-scores")(cycle_scores.publish_scores)
app.command("finalize-scores")(cycle_scores.finalize_scores)
app.command("verify-scores")(cycle_scores.verify_scores)
app.command("missing-reviews")(cycle_scores.missing_reviews)
