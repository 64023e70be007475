"""`oneassess reviews record / import / template / history`: an assessor's reviews."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import typer
from rich.table import Table

from cli.common import JSON_OPTION, clients, console, fail, print_json, request_id, run, to_dict
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
    shown,
)
from oneassess.client.paging import all_pages
from oneassess.indicators.v1 import indicators_service_pb2 as ind_pb
from oneassess.scoring.v1 import scoring_service_pb2 as pb

app = typer.Typer(
    help="Reviews: record one, import a sheet, write the sheet, history.", no_args_is_help=True
)


@app.command("record")
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

    Example: oneassess --as assessor:emergency-bureau reviews record haizhou-2026 \\
        --unit baiquan-town --indicator work-safety/ws-02 --value 0.97
    """
    ref = indicator_ref(indicator)

    async def go() -> pb.RecordReviewResponse:
        async with clients() as svc:
            return await svc.scoring.RecordReview(
                pb.RecordReviewRequest(
                    request_id=request_id(),
                    cycle_code=cycle,
                    unit_code=unit,
                    special_assessment_code=ref.special_assessment_code,
                    indicator_code=ref.indicator_code,
                    input=review_input(value, grade, items_met, occurrences, claimed, failed),
                    comment=comment,
                )
            )

    review = run(go).review
    if json_output:
        print_json(review)
    else:
        console.print(
            f"{unit} {indicator}: revision {review.revision} ({shown(review.input)})",
            highlight=False,
            soft_wrap=True,
        )


@app.command("import")
def reviews_import(
    cycle: str = CYCLE_ARG,
    path: Path = typer.Argument(
        ..., help="Review sheet (.csv or .xlsx), as `reviews template` writes it."
    ),
    json_output: bool = JSON_OPTION,
) -> None:
    """Import a review sheet: one row per unit and indicator. Atomic: any bad row rejects the sheet,
    every bad row named.

    Example: oneassess --as assessor:emergency-bureau reviews import haizhou-2026 work-safety.xlsx
    """
    try:
        sheet = pb.ReviewFile(name=path.name, content=path.read_bytes())
    except FileNotFoundError:
        fail(f"file not found: {path}")

    async def go() -> pb.ImportReviewsResponse:
        async with clients() as svc:
            return await svc.scoring.ImportReviews(
                pb.ImportReviewsRequest(request_id=request_id(), cycle_code=cycle, file=sheet)
            )

    response = run(go)
    if json_output:
        print_json(response)
    else:
        console.print(
            f"{path.name}: {response.recorded} recorded, {response.unchanged} unchanged, "
            f"{response.blank} blank rows"
        )


@app.command("template")
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
    """Write the review sheet of a special assessment, pre-filled with its units and indicators (and
    the latest reviews).

    Example: oneassess --as assessor:emergency-bureau reviews template haizhou-2026 \\
        --special-assessment work-safety
    """
    fmt = "csv" if out is not None and out.suffix.lower() == ".csv" else "xlsx"
    if out is not None and out.exists() and not force:
        fail(f"{out} exists (use --force to overwrite)")

    async def go() -> pb.ExportReviewTemplateResponse:
        async with clients() as svc:
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


@app.command("history")
def reviews_history(
    cycle: str = CYCLE_ARG,
    unit: str = typer.Option("", "--unit", help="Only this unit."),
    indicator: str = typer.Option("", "--indicator", help="Only SPECIAL_ASSESSMENT/INDICATOR."),
    latest: bool = typer.Option(False, "--latest", help="Only the latest revision of each pair."),
    json_output: bool = JSON_OPTION,
) -> None:
    """List reviews with every revision.

    Example: oneassess reviews history haizhou-2026 --unit baiquan-town \\
        --indicator work-safety/ws-02
    """
    ref = indicator_ref(indicator) if indicator else ind_pb.IndicatorRef()

    async def go() -> list[pb.Review]:
        async with clients() as svc:
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
        print_json([to_dict(r) for r in reviews])
        return
    table = Table("unit", "indicator", "rev", "input", "comment", "by", "at", "source")
    for r in reviews:
        table.add_row(
            r.unit_code,
            f"{r.special_assessment_code}/{r.indicator_code}",
            str(r.revision),
            shown(r.input),
            r.comment,
            r.reviewed_by,
            r.reviewed_at.ToDatetime(tzinfo=UTC).isoformat(timespec="seconds"),
            r.source,
        )
    console.print(table)
