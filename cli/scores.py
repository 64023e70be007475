"""`oneassess scores / explain / preview-weights`: the ranking, how each number came about,
and what other weights would give. (Score runs are under `oneassess cycle`.)"""

from __future__ import annotations

from pathlib import Path

import typer
import yaml
from rich.table import Table

from cli.common import JSON_OPTION, clients, console, fail, print_json, run, to_dict
from cli.scoring import CYCLE_ARG, RUN_OPTION, run_line
from oneassess.client.paging import pages
from oneassess.scoring.v1 import scoring_service_pb2 as pb

app = typer.Typer()  # its commands sit at the top: `oneassess scores ...`


@app.command("scores")
def scores(
    cycle: str = CYCLE_ARG,
    group: str = typer.Option("", "--group", help="Only this peer group."),
    run_number: int = RUN_OPTION,
    json_output: bool = JSON_OPTION,
) -> None:
    """Ranking by peer group: composite, rank, tier (ties share a rank; a failed veto caps the
    tier).

    Example: oneassess scores haizhou-2026 --group town
    """

    async def go() -> tuple[list[pb.UnitScore], pb.ListScoresResponse]:
        async with clients() as svc:
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
                "run": to_dict(first.run),
                "scores": [to_dict(s) for s in found],
                "tiers": [to_dict(t) for t in first.tiers],
            }
        )
        return
    console.print(run_line(first.run), highlight=False, soft_wrap=True)
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


@app.command("explain")
def explain(
    cycle: str = CYCLE_ARG,
    unit: str = typer.Option(..., "--unit", help="Unit code."),
    run_number: int = RUN_OPTION,
    json_output: bool = JSON_OPTION,
) -> None:
    """A unit's scorecard with how every number came about: each indicator's steps, each special
    assessment, the composite, rank and tier.

    Example: oneassess explain haizhou-2026 --unit baiquan-town
    """

    async def go() -> pb.GetScorecardResponse:
        async with clients() as svc:
            return await svc.scoring.GetScorecard(
                pb.GetScorecardRequest(cycle_code=cycle, unit_code=unit, run=run_number)
            )

    response = run(go)
    if json_output:
        print_json(response)
        return
    card = response.scorecard
    console.print(run_line(response.run), highlight=False, soft_wrap=True)
    s = card.score
    console.print(
        f"\n[bold]{s.unit_code}[/] ({s.group}): composite {s.composite_display}, rank "
        f"{s.rank}/{s.group_size}, {s.tier}",
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


@app.command("preview-weights")
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
        async with clients() as svc:
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
