"""`oneassess claims file / decide / list`: tolerance claims (容错) and pre-filings."""

from __future__ import annotations

import typer

from cli.common import JSON_OPTION, clients, console, fail, print_json, request_id, run, to_dict
from cli.scoring import CYCLE_ARG, indicator_ref
from oneassess.client.paging import all_pages
from oneassess.scoring.v1 import scoring_service_pb2 as pb

app = typer.Typer(help="Tolerance claims (容错): file, decide, list.", no_args_is_help=True)


def _print_claim(claim: pb.Claim) -> None:
    pre = f", pre-filed for an act on {claim.act_date}" if claim.prefiling else ""
    console.print(
        f"claim {claim.claim_id} by {claim.unit_code}: {claim.category} {claim.category_name}{pre}",
        highlight=False,
        soft_wrap=True,
    )
    for i in claim.indicators:
        state = pb.DecisionState.Name(i.state).removeprefix("DECISION_STATE_").lower()
        by = f" by {i.decided_by}: {i.reason}" if i.decided_by else ""
        console.print(
            f"  {i.indicator.special_assessment_code}/{i.indicator.indicator_code}: {state}{by}",
            highlight=False,
            soft_wrap=True,
        )


@app.command("file")
def claims_file(
    cycle: str = CYCLE_ARG,
    unit: str = typer.Option(..., "--unit", help="Your unit code."),
    category: str = typer.Option(..., "--category", help="Tolerance category code, e.g. T02."),
    indicators: list[str] = typer.Option(
        ..., "--indicator", help="SPECIAL_ASSESSMENT/INDICATOR; repeat for several."
    ),
    description: str = typer.Option(
        ..., "--description", help="What happened and why it should be tolerated."
    ),
    prefiling: bool = typer.Option(
        False, "--prefiling", help="Pre-file (事前备案) before the act."
    ),
    act_date: str = typer.Option(
        "", "--act-date", help="Date of the act, YYYY-MM-DD (required to pre-file)."
    ),
    json_output: bool = JSON_OPTION,
) -> None:
    """File a tolerance claim on one or more of your indicators. Units only.

    Example: oneassess --as unit:baiquan-town claims file haizhou-2026 --unit baiquan-town \\
        --category T02 --indicator work-safety/ws-02 --description "typhoon"
    """
    refs = [indicator_ref(i) for i in indicators]

    async def go() -> pb.FileClaimResponse:
        async with clients() as svc:
            return await svc.scoring.FileClaim(
                pb.FileClaimRequest(
                    request_id=request_id(),
                    cycle_code=cycle,
                    unit_code=unit,
                    category=category,
                    description=description,
                    indicators=refs,
                    prefiling=prefiling,
                    act_date=act_date,
                )
            )

    claim = run(go).claim
    print_json(claim) if json_output else _print_claim(claim)


@app.command("decide")
def claims_decide(
    cycle: str = CYCLE_ARG,
    claim_id: int = typer.Argument(..., help="Claim id."),
    approve: bool = typer.Option(..., "--approve/--reject", help="Approve or reject."),
    reason: str = typer.Option(..., "--reason", help="Reason for the decision."),
    indicators: list[str] = typer.Option(
        None, "--indicator", help="Only these indicators (default: every pending one you own)."
    ),
    json_output: bool = JSON_OPTION,
) -> None:
    """Approve or reject the claimed indicators your line department owns. Assessors only.

    Example: oneassess --as assessor:emergency-bureau claims decide haizhou-2026 1 --approve \\
        --reason "verified"
    """
    refs = [indicator_ref(i) for i in indicators or []]

    async def go() -> pb.DecideClaimResponse:
        async with clients() as svc:
            return await svc.scoring.DecideClaim(
                pb.DecideClaimRequest(
                    request_id=request_id(),
                    cycle_code=cycle,
                    claim_id=claim_id,
                    decision=pb.DECISION_APPROVE if approve else pb.DECISION_REJECT,
                    reason=reason,
                    indicators=refs,
                )
            )

    claim = run(go).claim
    print_json(claim) if json_output else _print_claim(claim)


@app.command("list")
def claims_list(
    cycle: str = CYCLE_ARG,
    unit: str = typer.Option("", "--unit", help="Only this unit."),
    state: str = typer.Option(
        "", "--state", help="Only claims with an indicator pending, approved or rejected."
    ),
    json_output: bool = JSON_OPTION,
) -> None:
    """List tolerance claims (units: their own; assessors: those naming their indicators).

    Example: oneassess claims list haizhou-2026 --state pending
    """
    states = {
        "": pb.DECISION_STATE_UNSPECIFIED,
        "pending": pb.DECISION_STATE_PENDING,
        "approved": pb.DECISION_STATE_APPROVED,
        "rejected": pb.DECISION_STATE_REJECTED,
    }
    if state not in states:
        fail(f"--state {state!r}: use pending, approved or rejected")

    async def go() -> list[pb.Claim]:
        async with clients() as svc:
            return await all_pages(
                svc.scoring.ListClaims,
                pb.ListClaimsRequest(
                    cycle_code=cycle, unit_code=unit, state=states[state], page_size=1000
                ),
                "claims",
            )

    claims = run(go)
    if json_output:
        print_json([to_dict(c) for c in claims])
        return
    for claim in claims:
        _print_claim(claim)
    if not claims:
        console.print("no claims")
