"""`oneassess cycle compute-scores | publish-scores | finalize-scores | verify-scores |
missing-reviews`: a cycle's scores in the scoring service. `cli.cycle` registers them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import typer
from google.protobuf.timestamp_pb2 import Timestamp
from rich.table import Table

from cli.common import JSON_OPTION, clients, console, print_json, request_id, run, say
from cli.scoring import CYCLE_ARG, RUN_OPTION, run_line
from oneassess.scoring.v1 import scoring_service_pb2 as sc


def _run_step(call: Callable[[object], Awaitable[object]], json_output: bool):
    """Send one scoring step (the stub in hand), print the run it made; returns that run."""

    async def go():
        async with clients() as svc:
            return await call(svc.scoring)

    r = run(go).run
    print_json(r) if json_output else say(run_line(r))
    return r


def compute_scores(cycle: str = CYCLE_ARG, json_output: bool = JSON_OPTION) -> None:
    """Compute every unit's scores from the frozen catalogue, the reviews, approved claims and
    submission times. Admin.

    Example: oneassess cycle compute-scores haizhou-2026
    """

    request = sc.ComputeScoresRequest(request_id=request_id(), cycle_code=cycle)
    _run_step(lambda scoring: scoring.ComputeScores(request), json_output)


def publish_scores(
    cycle: str = CYCLE_ARG,
    appeal_days: float = typer.Option(
        7, "--appeal-days", help="Length of the appeal window from now, in days."
    ),
    json_output: bool = JSON_OPTION,
) -> None:
    """Publish the latest computed scores and open the appeal window. Admin.

    Example: oneassess cycle publish-scores haizhou-2026 --appeal-days 7
    """
    deadline = Timestamp()
    deadline.FromDatetime(datetime.now(UTC) + timedelta(days=appeal_days))

    request = sc.PublishScoresRequest(
        request_id=request_id(), cycle_code=cycle, appeal_deadline=deadline
    )
    r = _run_step(lambda scoring: scoring.PublishScores(request), json_output)
    if not json_output:
        until = r.appeal_deadline.ToDatetime(tzinfo=UTC).isoformat(timespec="seconds")
        say(f"  appeals until {until}")


def finalize_scores(cycle: str = CYCLE_ARG, json_output: bool = JSON_OPTION) -> None:
    """Make the published scores final once the appeal window has closed and every appeal is
    decided. Admin.

    Example: oneassess cycle finalize-scores haizhou-2026
    """

    request = sc.FinalizeScoresRequest(request_id=request_id(), cycle_code=cycle)
    _run_step(lambda scoring: scoring.FinalizeScores(request), json_output)


def verify_scores(
    cycle: str = CYCLE_ARG, run_number: int = RUN_OPTION, json_output: bool = JSON_OPTION
) -> None:
    """Recompute a stored run from its recorded inputs and compare hashes and every stored row.
    Auditors and admin.

    Example: oneassess --as auditor cycle verify-scores haizhou-2026 --run 1
    """

    async def go() -> sc.VerifyScoresResponse:
        async with clients() as svc:
            return await svc.scoring.VerifyScores(
                sc.VerifyScoresRequest(cycle_code=cycle, run=run_number)
            )

    response = run(go)
    if json_output:
        print_json(response)
    else:
        say(run_line(response.run))
        verdict = "[green]matches: recomputed exactly[/]" if response.matches else "[red]DIFFERS[/]"
        console.print(verdict)
        for d in response.differences:
            say(f"  - {d}")
    if not response.matches:
        raise typer.Exit(1)


def missing_reviews(
    cycle: str = CYCLE_ARG,
    department: str = typer.Option("", "--department", help="Only this line department."),
    json_output: bool = JSON_OPTION,
) -> None:
    """Reviews still missing per line department.

    Example: oneassess cycle missing-reviews haizhou-2026
    """

    async def go() -> sc.ListMissingReviewsResponse:
        async with clients() as svc:
            return await svc.scoring.ListMissingReviews(
                sc.ListMissingReviewsRequest(cycle_code=cycle, department=department)
            )

    response = run(go)
    if json_output:
        print_json(response)
        return
    table = Table("line department", "missing", "of", "e.g.")
    for d in response.departments:
        table.add_row(d.department, str(d.missing), str(d.total), ", ".join(d.examples[:3]))
    console.print(table)
