"""What the scoring command groups (reviews, claims, appeals, scores and the score runs under
`cycle`) share: the cycle argument, indicator references, review inputs, run lines."""

from __future__ import annotations

import typer

from cli.common import fail
from oneassess.indicators.v1 import indicators_service_pb2 as ind_pb
from oneassess.scoring.v1 import scoring_service_pb2 as pb

CYCLE_ARG = typer.Argument(..., help="Cycle code, e.g. haizhou-2026.")
RUN_OPTION = typer.Option(
    0, "--run", help="Run number (default: the latest; units see the latest published)."
)
VALUE = typer.Option(None, "--value", help="Measured value (ratio).")
GRADE = typer.Option(None, "--grade", help="Grade letter (grade).")
ITEMS_MET = typer.Option(None, "--items-met", help="Items met (checklist).")
OCCURRENCES = typer.Option(None, "--occurrences", help="Occurrences (deduction).")
CLAIMED = typer.Option(None, "--claimed", help="Points claimed (bonus).")
FAILED = typer.Option(None, "--failed/--not-failed", help="Veto failed or not (veto).")


def indicator_ref(text: str) -> ind_pb.IndicatorRef:
    sa, slash, code = text.partition("/")
    if not slash or not sa or not code:
        fail(
            f"--indicator {text!r}: write it as SPECIAL_ASSESSMENT/INDICATOR, "
            "e.g. work-safety/ws-02"
        )
    return ind_pb.IndicatorRef(special_assessment_code=sa, indicator_code=code)


def review_input(
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


def shown(message: pb.ReviewInput) -> str:
    return ", ".join(f"{f.name}={v}" for f, v in message.ListFields()) or "-"


def run_line(r: pb.ScoreRun) -> str:
    state = "final" if r.HasField("finalized_at") else "published" if r.published else "computed"
    return (
        f"run {r.run} of {r.cycle_code} ({r.trigger}, {state}): "
        f"{r.units} units, {r.indicator_scores} indicator scores\n"
        f"  inputs  sha256 {r.inputs_sha256}\n  results sha256 {r.results_sha256}"
    )
