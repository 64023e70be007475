"""Reading results: pages of unit scores with their groups' tiers, and one unit's scorecard."""

from __future__ import annotations

from dataclasses import dataclass

from services.common.errors import InvalidArgument, NotFound
from services.scoring import scorecards, tiers
from services.scoring.convert import CycleContext, rules_from_json
from services.scoring.repository import reviews as reviews_repo
from services.scoring.repository import runs as runs_repo
from services.scoring.repository import scores as repo
from services.scoring.reviews import parse_judgement
from services.scoring.tokens import ScoresAfter


@dataclass(frozen=True)
class ScoresPage:
    run: runs_repo.RunRow
    scores: list[repo.UnitScoreRow]
    more: bool
    tiers: list[tiers.GroupTiers]  # on the first page only


async def page(
    conn,
    *,
    cycle_code: str,
    run_number: int,
    published_only: bool,
    group: str,
    unit: str,
    after: ScoresAfter | None,
    size: int,
) -> ScoresPage:
    """Scores by group, rank and unit (only `unit` when set, without tiers); a continued
    page reads the run its first page read."""
    if after is not None:
        if run_number and run_number != after.run:
            raise InvalidArgument.field(
                "page_token", f"continues run {after.run}, not run {run_number}"
            )
        run_number = after.run
    run = await runs_repo.get_run(
        conn, cycle_code=cycle_code, run=run_number, published_only=published_only
    )
    if unit:
        found = await repo.unit_score(conn, run_id=run.id, unit=unit)
        return ScoresPage(run, [found] if found and after is None else [], False, [])
    rows = await repo.unit_score_page(
        conn,
        run_id=run.id,
        group=group,
        after=(after.group, after.rank, after.unit) if after else None,
        limit=size + 1,
    )
    bands = []
    if after is None:
        counts = await repo.tier_counts(conn, run_id=run.id, group=group)
        bands = tiers.group_tiers(
            [(c.group_code, c.group_size, c.tier, c.units) for c in counts],
            rules_from_json(run.recipe["rules"]),
        )
    return ScoresPage(run, rows[:size], len(rows) > size, bands)


@dataclass(frozen=True)
class UnitScorecard:
    run: runs_repo.RunRow
    score: repo.UnitScoreRow
    card: scorecards.Scorecard


async def scorecard(
    conn, *, ctx: CycleContext, unit: str, run_number: int, published_only: bool
) -> UnitScorecard:
    cycle_code = ctx.catalogue.cycle_code
    run = await runs_repo.get_run(
        conn, cycle_code=cycle_code, run=run_number, published_only=published_only
    )
    score = await repo.unit_score(conn, run_id=run.id, unit=unit)
    if score is None:
        raise NotFound(
            f"unit_code: unit {unit!r} has no score in run {run.run} of cycle {cycle_code!r}",
            "UNIT_NOT_SCORED",
            metadata={"field": "unit_code"},
        )
    sa_rows, indicator_rows = await repo.unit_detail(
        conn, detail_run_id=score.detail_run_id, unit=unit
    )
    reviews = await reviews_repo.reviews_by_id(
        conn, ids=[r.review_id for r in indicator_rows if r.review_id]
    )
    card = scorecards.scorecard(
        ctx.catalogue,
        rules_from_json(run.recipe["rules"]),
        score,
        sa_rows,
        indicator_rows,
        {
            i: scorecards.ScoredReview(r.revision, parse_judgement(r.method, r.judgement))
            for i, r in reviews.items()
        },
    )
    return UnitScorecard(run, score, card)
