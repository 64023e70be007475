"""`oneassess appeals file / decide / list`: appeals (申诉) against published scores."""

from __future__ import annotations

import typer

from cli.common import JSON_OPTION, clients, console, print_json, request_id, run, to_dict
from cli.scoring import (
    CLAIMED,
    CYCLE_ARG,
    FAILED,
    GRADE,
    ITEMS_MET,
    OCCURRENCES,
    VALUE,
    indicator_ref,
    review_input,
    run_line,
)
from oneassess.client.paging import all_pages
from oneassess.scoring.v1 import scoring_service_pb2 as pb

app = typer.Typer(
    help="Appeals (申诉) against published scores: file, decide, list.", no_args_is_help=True
)


def _print_appeal(a: pb.Appeal) -> None:
    state = pb.AppealState.Name(a.state).removeprefix("APPEAL_STATE_").lower()
    after = f" -> {a.score_after}" if a.score_after else ""
    decided = f"; {a.decided_by}: {a.decision_reason}" if a.decided_by else ""
    run_note = f" (run {a.run})" if a.run else ""
    console.print(
        f"appeal {a.appeal_id} by {a.unit_code} on "
        f"{a.indicator.special_assessment_code}/{a.indicator.indicator_code}:"
        f" {state}, score {a.score_before}{after}{run_note} — {a.reason}{decided}",
        highlight=False,
        soft_wrap=True,
    )


@app.command("file")
def appeals_file(
    cycle: str = CYCLE_ARG,
    unit: str = typer.Option(..., "--unit", help="Your unit code."),
    indicator: str = typer.Option(
        ..., "--indicator", help="SPECIAL_ASSESSMENT/INDICATOR whose published score you appeal."
    ),
    reason: str = typer.Option(..., "--reason", help="Why the score is wrong."),
    json_output: bool = JSON_OPTION,
) -> None:
    """Appeal a published indicator score within the appeal window. Units only.

    Example: oneassess --as unit:linhai-street appeals file haizhou-2026 --unit linhai-street \\
        --indicator work-safety/ws-02 --reason "the ledger shows 98%"
    """
    ref = indicator_ref(indicator)

    async def go() -> pb.FileAppealResponse:
        async with clients() as svc:
            return await svc.scoring.FileAppeal(
                pb.FileAppealRequest(
                    request_id=request_id(),
                    cycle_code=cycle,
                    unit_code=unit,
                    indicator=ref,
                    reason=reason,
                )
            )

    appeal = run(go).appeal
    print_json(appeal) if json_output else _print_appeal(appeal)


@app.command("decide")
def appeals_decide(
    cycle: str = CYCLE_ARG,
    appeal_id: int = typer.Argument(..., help="Appeal id."),
    adjust: bool = typer.Option(
        ...,
        "--adjust/--uphold",
        help="Adjust the review (give the corrected input) or uphold the score.",
    ),
    reason: str = typer.Option(..., "--reason", help="Reason for the decision."),
    value: float = VALUE,
    grade: str = GRADE,
    items_met: int = ITEMS_MET,
    occurrences: float = OCCURRENCES,
    claimed: float = CLAIMED,
    failed: bool = FAILED,
    json_output: bool = JSON_OPTION,
) -> None:
    """Uphold a score or adjust the review; an adjustment recomputes the unit, its group's ranks and
    tiers. Assessors only.

    Example: oneassess --as assessor:emergency-bureau appeals decide haizhou-2026 1 --adjust \\
        --value 0.98 --reason "rechecked"
    """
    adjustment = review_input(value, grade, items_met, occurrences, claimed, failed)

    async def go() -> pb.DecideAppealResponse:
        async with clients() as svc:
            return await svc.scoring.DecideAppeal(
                pb.DecideAppealRequest(
                    request_id=request_id(),
                    cycle_code=cycle,
                    appeal_id=appeal_id,
                    decision=pb.APPEAL_DECISION_ADJUST if adjust else pb.APPEAL_DECISION_UPHOLD,
                    reason=reason,
                    adjustment=adjustment if adjust else None,
                )
            )

    response = run(go)
    if json_output:
        print_json(response)
        return
    _print_appeal(response.appeal)
    if response.HasField("run"):
        console.print(run_line(response.run), highlight=False, soft_wrap=True)


@app.command("list")
def appeals_list(
    cycle: str = CYCLE_ARG,
    unit: str = typer.Option("", "--unit", help="Only this unit."),
    json_output: bool = JSON_OPTION,
) -> None:
    """List appeals (units: their own; assessors: those on their indicators).

    Example: oneassess appeals list haizhou-2026
    """

    async def go() -> list[pb.Appeal]:
        async with clients() as svc:
            return await all_pages(
                svc.scoring.ListAppeals,
                pb.ListAppealsRequest(cycle_code=cycle, unit_code=unit, page_size=1000),
                "appeals",
            )

    appeals = run(go)
    if json_output:
        print_json([to_dict(a) for a in appeals])
        return
    for a in appeals:
        _print_appeal(a)
    if not appeals:
        console.print("no appeals")
