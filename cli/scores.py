"""`oneassess reviews / claims / appeals / scores / explain / preview-weights`, and the score
runs under `oneassess cycle` (compute-scores, publish-scores, finalize-scores, verify-scores,
missing-reviews): everything the scoring service does, one command per thing a role does.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer
import yaml
from google.protobuf.timestamp_pb2 import Timestamp
from rich.table import Table

from cli import common
from cli.catalog import cycle_app
from cli.common import JSON_OPTION, console, fail, print_json, request_id, run
from oneassess.client.paging import all_pages, pages
from oneassess.scoring.v1 import scoring_service_pb2 as pb

reviews_app = typer.Typer(
    help="Reviews: record one, import a sheet, write the sheet, history.", no_args_is_help=True
)
claims_app = typer.Typer(help="Tolerance claims (容错): file, decide, list.", no_args_is_help=True)
appeals_app = typer.Typer(
    help="Appeals (申诉) against published scores: file, decide, list.", no_args_is_help=True
)

CYCLE_ARG = typer.Argument(..., help="Cycle code, e.g. haizhou-2026.")
RUN_OPTION = typer.Option(
    0, "--run", help="Run number (default: the latest; units see the latest published)."
)


def register(app: typer.Typer) -> None:
    app.add_typer(reviews_app, name="reviews")
    app.add_typer(claims_app, name="claims")
    app.add_typer(appeals_app, name="appeals")
    app.command("scores")(scores)
    app.command("explain")(explain)
    app.command("preview-weights")(preview_weights)
    cycle_app.command("compute-scores")(compute_scores)
    cycle_app.command("publish-scores")(publish_scores)
    cycle_app.command("finalize-scores")(finalize_scores)
    cycle_app.command("verify-scores")(verify_scores)
    cycle_app.command("missing-reviews")(missing_reviews)


def _indicator(text: str) -> pb.IndicatorRef:
    sa, slash, code = text.partition("/")
    if not slash or not sa or not code:
        fail(
            f"--indicator {text!r}: write it as SPECIAL_ASSESSMENT/INDICATOR, e.g. work-safety/ws-02"
        )
    return pb.IndicatorRef(special_assessment_code=sa, indicator_code=code)


def _review_input(
    value: float | None,
    grade: str | None,
    items_met: int | None,
    occurrences: float | None,
    claimed: float | None,
    failed: bool | None,
) -> pb.ReviewInput:
    message = pb.ReviewInput()
    for name, given in (
        ("value", value),
        ("grade", grade),
        ("items_met", items_met),
        ("occurrences", occurrences),
        ("claimed", claimed),
        ("failed", failed),
    ):
        if given is not None:
            setattr(message, name, given)
    return message


VALUE = typer.Option(None, "--value", help="Measured value (ratio).")
GRADE = typer.Option(None, "--grade", help="Grade letter (grade).")
ITEMS_MET = typer.Option(None, "--items-met", help="Items met (checklist).")
OCCURRENCES = typer.Option(None, "--occurrences", help="Occurrences (deduction).")
CLAIMED = typer.Option(None, "--claimed", help="Points claimed (bonus).")
FAILED = typer.Option(None, "--failed/--not-failed", help="Veto failed or not (veto).")


def _shown(message: pb.ReviewInput) -> str:
    return ", ".join(f"{f.name}={v}" for f, v in message.ListFields()) or "-"


def _run_line(r: pb.ScoreRun) -> str:
    state = "final" if r.HasField("finalized_at") else "published" if r.published else "computed"
    return (
        f"run {r.run} of {r.cycle_code} ({r.trigger}, {state}): {r.units} units, {r.indicator_scores} indicator scores\n"
        f"  inputs  sha256 {r.inputs_sha256}\n  results sha256 {r.results_sha256}"
    )


# -- reviews ----------------------------------------------------------------------------------


@reviews_app.command("record")
def reviews_record(
    cycle: str = CYCLE_ARG,
    unit: str = typer.Option(..., "--unit", help="Unit code."),
    indicator: str = typer.Option(..., "--indicator", help="SPECIAL_ASSESSMENT/INDICATOR."),
    value: float = VALUE,
    grade: str = GRADE,
    items_met: int = ITEMS_MET,
    occurrences: float = OCCURRENCES,
    claimed: float = CLAIMED,
    failed: bool = FAILED,
    comment: str = typer.Option("", "--comment", help="Comment."),
    json_output: bool = JSON_OPTION,
) -> None:
    """Record one review (a new revision). Assessors, for their own line department's indicators.

    Example: oneassess --as assessor:emergency-bureau reviews record haizhou-2026 --unit baiquan-town --indicator work-safety/ws-02 --value 0.97
    """
    ref = _indicator(indicator)

    async def go() -> pb.RecordReviewResponse:
        async with common.clients() as svc:
            return await svc.scoring.RecordReview(
                pb.RecordReviewRequest(
                    request_id=request_id(),
                    cycle_code=cycle,
                    unit_code=unit,
                    special_assessment_code=ref.special_assessment_code,
                    indicator_code=ref.indicator_code,
                    input=_review_input(value, grade, items_met, occurrences, claimed, failed),
                    comment=comment,
                )
            )

    review = run(go).review
    if json_output:
        print_json(review)
    else:
        console.print(
            f"{unit} {indicator}: revision {review.revision} ({_shown(review.input)})",
            highlight=False,
            soft_wrap=True,
        )


@reviews_app.command("import")
def reviews_import(
    cycle: str = CYCLE_ARG,
    path: Path = typer.Argument(
        ..., help="Review sheet (.csv or .xlsx), as `reviews template` writes it."
    ),
    json_output: bool = JSON_OPTION,
) -> None:
    """Import a review sheet: one row per unit and indicator. Atomic: any bad row rejects the sheet, every bad row named.

    Example: oneassess --as assessor:emergency-bureau reviews import haizhou-2026 work-safety.xlsx
    """
    try:
        sheet = pb.ReviewFile(name=path.name, content=path.read_bytes())
    except FileNotFoundError:
        fail(f"file not found: {path}")

    async def go() -> pb.ImportReviewsResponse:
        async with common.clients() as svc:
            return await svc.scoring.ImportReviews(
                pb.ImportReviewsRequest(request_id=request_id(), cycle_code=cycle, file=sheet)
            )

    response = run(go)
    if json_output:
        print_json(response)
    else:
        console.print(
            f"{path.name}: {response.recorded} recorded, {response.unchanged} unchanged, {response.blank} blank rows"
        )


@reviews_app.command("template")
def reviews_template(
    cycle: str = CYCLE_ARG,
    special_assessment: str = typer.Option(
        ..., "--special-assessment", "-s", help="Special assessment code."
    ),
    out: Path = typer.Option(
        None, "--out", "-o", help="File to write (.xlsx or .csv); default reviews-CYCLE-S.xlsx."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite the file if it exists."),
) -> None:
    """Write the review sheet of a special assessment, pre-filled with its units and indicators (and the latest reviews).

    Example: oneassess --as assessor:emergency-bureau reviews template haizhou-2026 --special-assessment work-safety
    """
    fmt = "csv" if out is not None and out.suffix.lower() == ".csv" else "xlsx"
    if out is not None and out.exists() and not force:
        fail(f"{out} exists (use --force to overwrite)")

    async def go() -> pb.ExportReviewTemplateResponse:
        async with common.clients() as svc:
            return await svc.scoring.ExportReviewTemplate(
                pb.ExportReviewTemplateRequest(
                    cycle_code=cycle, special_assessment_code=special_assessment, format=fmt
                )
            )

    response = run(go)
    target = out or Path(response.file_name)
    if target.exists() and out is None and not force:
        fail(f"{target} exists (use --force to overwrite)")
    target.write_bytes(response.content)
    console.print(
        f"wrote {target}: {response.rows} rows to review", highlight=False, soft_wrap=True
    )


@reviews_app.command("history")
def reviews_history(
    cycle: str = CYCLE_ARG,
    unit: str = typer.Option("", "--unit", help="Only this unit."),
    indicator: str = typer.Option("", "--indicator", help="Only SPECIAL_ASSESSMENT/INDICATOR."),
    latest: bool = typer.Option(False, "--latest", help="Only the latest revision of each pair."),
    json_output: bool = JSON_OPTION,
) -> None:
    """List reviews with every revision.

    Example: oneassess reviews history haizhou-2026 --unit baiquan-town --indicator work-safety/ws-02
    """
    ref = _indicator(indicator) if indicator else pb.IndicatorRef()

    async def go() -> list[pb.Review]:
        async with common.clients() as svc:
            return await all_pages(
                svc.scoring.ListReviews,
                pb.ListReviewsRequest(
                    cycle_code=cycle,
                    unit_code=unit,
                    special_assessment_code=ref.special_assessment_code,
                    indicator_code=ref.indicator_code,
                    all_revisions=not latest,
                    page_size=5000,
                ),
                "reviews",
            )

    reviews = run(go)
    if json_output:
        print_json([common.to_dict(r) for r in reviews])
        return
    table = Table("unit", "indicator", "rev", "input", "comment", "by", "at", "source")
    for r in reviews:
        table.add_row(
            r.unit_code,
            f"{r.special_assessment_code}/{r.indicator_code}",
            str(r.revision),
            _shown(r.input),
            r.comment,
            r.reviewed_by,
            r.reviewed_at.ToDatetime(tzinfo=UTC).isoformat(timespec="seconds"),
            r.source,
        )
    console.print(table)


# -- claims -----------------------------------------------------------------------------------


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


@claims_app.command("file")
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

    Example: oneassess --as unit:baiquan-town claims file haizhou-2026 --unit baiquan-town --category T02 --indicator work-safety/ws-02 --description "typhoon"
    """
    refs = [_indicator(i) for i in indicators]

    async def go() -> pb.FileClaimResponse:
        async with common.clients() as svc:
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


@claims_app.command("decide")
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

    Example: oneassess --as assessor:emergency-bureau claims decide haizhou-2026 1 --approve --reason "verified"
    """
    refs = [_indicator(i) for i in indicators or []]

    async def go() -> pb.DecideClaimResponse:
        async with common.clients() as svc:
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


@claims_app.command("list")
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
        async with common.clients() as svc:
            return await all_pages(
                svc.scoring.ListClaims,
                pb.ListClaimsRequest(
                    cycle_code=cycle, unit_code=unit, state=states[state], page_size=1000
                ),
                "claims",
            )

    claims = run(go)
    if json_output:
        print_json([common.to_dict(c) for c in claims])
        return
    for claim in claims:
        _print_claim(claim)
    if not claims:
        console.print("no claims")


# -- appeals ----------------------------------------------------------------------------------


def _print_appeal(a: pb.Appeal) -> None:
    state = pb.AppealState.Name(a.state).removeprefix("APPEAL_STATE_").lower()
    after = f" -> {a.score_after}" if a.score_after else ""
    decided = f"; {a.decided_by}: {a.decision_reason}" if a.decided_by else ""
    run_note = f" (run {a.run})" if a.run else ""
    console.print(
        f"appeal {a.appeal_id} by {a.unit_code} on {a.indicator.special_assessment_code}/{a.indicator.indicator_code}:"
        f" {state}, score {a.score_before}{after}{run_note} — {a.reason}{decided}",
        highlight=False,
        soft_wrap=True,
    )


@appeals_app.command("file")
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

    Example: oneassess --as unit:linhai-street appeals file haizhou-2026 --unit linhai-street --indicator work-safety/ws-02 --reason "the ledger shows 98%"
    """
    ref = _indicator(indicator)

    async def go() -> pb.FileAppealResponse:
        async with common.clients() as svc:
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


@appeals_app.command("decide")
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
    """Uphold a score or adjust the review; an adjustment recomputes the unit, its group's ranks and tiers. Assessors only.

    Example: oneassess --as assessor:emergency-bureau appeals decide haizhou-2026 1 --adjust --value 0.98 --reason "rechecked"
    """
    adjustment = _review_input(value, grade, items_met, occurrences, claimed, failed)

    async def go() -> pb.DecideAppealResponse:
        async with common.clients() as svc:
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
        console.print(_run_line(response.run), highlight=False, soft_wrap=True)


@appeals_app.command("list")
def appeals_list(
    cycle: str = CYCLE_ARG,
    unit: str = typer.Option("", "--unit", help="Only this unit."),
    json_output: bool = JSON_OPTION,
) -> None:
    """List appeals (units: their own; assessors: those on their indicators).

    Example: oneassess appeals list haizhou-2026
    """

    async def go() -> list[pb.Appeal]:
        async with common.clients() as svc:
            return await all_pages(
                svc.scoring.ListAppeals,
                pb.ListAppealsRequest(cycle_code=cycle, unit_code=unit, page_size=1000),
                "appeals",
            )

    appeals = run(go)
    if json_output:
        print_json([common.to_dict(a) for a in appeals])
        return
    for a in appeals:
        _print_appeal(a)
    if not appeals:
        console.print("no appeals")


# -- results ----------------------------------------------------------------------------------


def scores(
    cycle: str = CYCLE_ARG,
    group: str = typer.Option("", "--group", help="Only this peer group."),
    run_number: int = RUN_OPTION,
    json_output: bool = JSON_OPTION,
) -> None:
    """Ranking by peer group: composite, rank, tier (ties share a rank; a failed veto caps the tier).

    Example: oneassess scores haizhou-2026 --group town
    """

    async def go() -> tuple[list[pb.UnitScore], pb.ListScoresResponse]:
        async with common.clients() as svc:
            responses = [
                page
                async for page in pages(
                    svc.scoring.ListScores,
                    pb.ListScoresRequest(
                        cycle_code=cycle, group=group, run=run_number, page_size=5000
                    ),
                )
            ]
        return [s for page in responses for s in page.scores], responses[0]

    found, first = run(go)
    if json_output:
        print_json(
            {
                "run": common.to_dict(first.run),
                "scores": [common.to_dict(s) for s in found],
                "tiers": [common.to_dict(t) for t in first.tiers],
            }
        )
        return
    console.print(_run_line(first.run), highlight=False, soft_wrap=True)
    table = Table("group", "rank", "unit", "composite", "tier", "veto", "unreviewed")
    for s in found:
        table.add_row(
            s.group,
            f"{s.rank}/{s.group_size}",
            s.unit_code,
            s.composite_display,
            s.tier,
            "failed" if s.vetoed else "",
            str(s.unreviewed or ""),
        )
    console.print(table)
    for t in first.tiers:
        bands = ", ".join(
            f"{b.tier} {b.units}" + (f" (ranks <= {b.cutoff_rank})" if b.cutoff_rank else "")
            for b in t.bands
        )
        console.print(f"  {t.group} ({t.size}): {bands}", highlight=False, soft_wrap=True)


def explain(
    cycle: str = CYCLE_ARG,
    unit: str = typer.Option(..., "--unit", help="Unit code."),
    run_number: int = RUN_OPTION,
    json_output: bool = JSON_OPTION,
) -> None:
    """A unit's scorecard with how every number came about: each indicator's steps, each special assessment, the composite, rank and tier.

    Example: oneassess explain haizhou-2026 --unit baiquan-town
    """

    async def go() -> pb.GetScorecardResponse:
        async with common.clients() as svc:
            return await svc.scoring.GetScorecard(
                pb.GetScorecardRequest(cycle_code=cycle, unit_code=unit, run=run_number)
            )

    response = run(go)
    if json_output:
        print_json(response)
        return
    card = response.scorecard
    console.print(_run_line(response.run), highlight=False, soft_wrap=True)
    s = card.score
    console.print(
        f"\n[bold]{s.unit_code}[/] ({s.group}): composite {s.composite_display}, rank {s.rank}/{s.group_size}, {s.tier}",
        highlight=False,
        soft_wrap=True,
    )
    table = Table("indicator", "points", "score", "how")
    for i in card.indicators:
        flag = " (unreviewed)" if i.unreviewed else ""
        table.add_row(
            f"{i.special_assessment_code}/{i.indicator_code}{flag}",
            i.points,
            i.score,
            "\n".join(f"{st.rule}: {st.formula}" for st in i.steps),
        )
    console.print(table)
    for sa in card.special_assessments:
        console.print(f"  {sa.explanation.formula}", highlight=False, soft_wrap=True)
    console.print(f"  composite: {card.composite.formula}", highlight=False, soft_wrap=True)
    console.print(f"  {card.ranking.formula}", highlight=False, soft_wrap=True)


def preview_weights(
    cycle: str = CYCLE_ARG,
    weights_file: Path = typer.Argument(
        ..., help="YAML mapping special assessment code -> weight; the others keep theirs."
    ),
    group: str = typer.Option("", "--group", help="Only this peer group."),
    run_number: int = RUN_OPTION,
    json_output: bool = JSON_OPTION,
) -> None:
    """What-if: the ranking alternative special assessment weights would give. Nothing is saved.

    Example: oneassess preview-weights haizhou-2026 weights.yaml --group town
    """
    try:
        loaded = yaml.safe_load(weights_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        fail(f"file not found: {weights_file}")
    except yaml.YAMLError as err:
        fail(f"{weights_file}: not valid YAML: {err}")
    if isinstance(loaded, dict) and isinstance(loaded.get("special_assessments"), dict):
        loaded = loaded["special_assessments"]  # a cycle.yaml works too
    if not isinstance(loaded, dict):
        fail(
            f"{weights_file}: must map special assessment codes to weights, e.g. 'work-safety: 20'"
        )
    weights = {str(k): str(v) for k, v in loaded.items()}

    async def go() -> pb.PreviewWeightsResponse:
        async with common.clients() as svc:
            return await svc.scoring.PreviewWeights(
                pb.PreviewWeightsRequest(
                    cycle_code=cycle, weights=weights, group=group, run=run_number
                )
            )

    response = run(go)
    if json_output:
        print_json(response)
        return
    console.print(
        "weights: " + ", ".join(f"{k} {v}" for k, v in sorted(response.weights.items())),
        highlight=False,
        soft_wrap=True,
    )
    table = Table("group", "rank", "unit", "composite", "tier", "now")
    for p in response.scores:
        s = p.score
        move = p.current_rank - s.rank
        arrow = f"+{move}" if move > 0 else str(move) if move else "="
        table.add_row(
            s.group,
            f"{s.rank}/{s.group_size}",
            s.unit_code,
            s.composite_display,
            s.tier,
            f"rank {p.current_rank} ({arrow}), {p.current_composite}, {p.current_tier}",
        )
    console.print(table)


# -- runs (under `oneassess cycle`) --------------------------------------------------------------


def compute_scores(cycle: str = CYCLE_ARG, json_output: bool = JSON_OPTION) -> None:
    """Compute every unit's scores from the frozen catalogue, the reviews, approved claims and submission times. Admin.

    Example: oneassess cycle compute-scores haizhou-2026
    """

    async def go() -> pb.ComputeScoresResponse:
        async with common.clients() as svc:
            return await svc.scoring.ComputeScores(
                pb.ComputeScoresRequest(request_id=request_id(), cycle_code=cycle)
            )

    r = run(go).run
    print_json(r) if json_output else console.print(_run_line(r), highlight=False, soft_wrap=True)


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

    async def go() -> pb.PublishScoresResponse:
        async with common.clients() as svc:
            return await svc.scoring.PublishScores(
                pb.PublishScoresRequest(
                    request_id=request_id(), cycle_code=cycle, appeal_deadline=deadline
                )
            )

    r = run(go).run
    if json_output:
        print_json(r)
    else:
        console.print(_run_line(r), highlight=False, soft_wrap=True)
        console.print(
            f"  appeals until {r.appeal_deadline.ToDatetime(tzinfo=UTC).isoformat(timespec='seconds')}",
            highlight=False,
            soft_wrap=True,
        )


def finalize_scores(cycle: str = CYCLE_ARG, json_output: bool = JSON_OPTION) -> None:
    """Make the published scores final once the appeal window has closed and every appeal is decided. Admin.

    Example: oneassess cycle finalize-scores haizhou-2026
    """

    async def go() -> pb.FinalizeScoresResponse:
        async with common.clients() as svc:
            return await svc.scoring.FinalizeScores(
                pb.FinalizeScoresRequest(request_id=request_id(), cycle_code=cycle)
            )

    r = run(go).run
    print_json(r) if json_output else console.print(_run_line(r), highlight=False, soft_wrap=True)


def verify_scores(
    cycle: str = CYCLE_ARG, run_number: int = RUN_OPTION, json_output: bool = JSON_OPTION
) -> None:
    """Recompute a stored run from its recorded inputs and compare hashes and every stored row. Auditors and admin.

    Example: oneassess --as auditor cycle verify-scores haizhou-2026 --run 1
    """

    async def go() -> pb.VerifyScoresResponse:
        async with common.clients() as svc:
            return await svc.scoring.VerifyScores(
                pb.VerifyScoresRequest(cycle_code=cycle, run=run_number)
            )

    response = run(go)
    if json_output:
        print_json(response)
    else:
        console.print(_run_line(response.run), highlight=False, soft_wrap=True)
        verdict = "[green]matches: recomputed exactly[/]" if response.matches else "[red]DIFFERS[/]"
        console.print(verdict)
        for d in response.differences:
            console.print(f"  - {d}", highlight=False, soft_wrap=True)
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

    async def go() -> pb.ListMissingReviewsResponse:
        async with common.clients() as svc:
            return await svc.scoring.ListMissingReviews(
                pb.ListMissingReviewsRequest(cycle_code=cycle, department=department)
            )

    response = run(go)
    if json_output:
        print_json(response)
        return
    table = Table("line department", "missing", "of", "e.g.")
    for d in response.departments:
        table.add_row(d.department, str(d.missing), str(d.total), ", ".join(d.examples[:3]))
    console.print(table)
