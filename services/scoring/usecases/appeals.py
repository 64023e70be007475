"""Appeals: file one against a published score, decide it (an adjustment records a review
revision and a new published run), list them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.common import audit
from services.common.auth import Principal
from services.common.errors import FailedPrecondition, NotFound
from services.scoring import appeals as domain
from services.scoring import lookups
from services.scoring.convert import CycleContext
from services.scoring.model import IndicatorKey
from services.scoring.numbers import format_e4
from services.scoring.repository import appeals as repo
from services.scoring.repository import lock_cycle
from services.scoring.repository import reviews as reviews_repo
from services.scoring.repository import runs as runs_repo
from services.scoring.repository import scores as scores_repo
from services.scoring.reviews import NewReview, judge, next_revision
from services.scoring.usecases import compute_with_digests, inputs_from_recipe, now


async def file(
    conn, *, cycle_code: str, unit: str, key: IndicatorKey, reason: str, by: str
) -> repo.AppealRow:
    """Appeal the unit's score of one indicator in the latest published run, while the
    appeal window is open."""
    await lock_cycle(conn, cycle_code=cycle_code)
    latest = await runs_repo.latest_run(conn, cycle_code=cycle_code)
    domain.check_open(
        domain.Window(
            cycle_code,
            latest.published_at if latest else None,
            latest.appeal_deadline if latest else None,
            latest.finalized_at if latest else None,
        ),
        now(),
    )
    stored = await scores_repo.indicator_score(conn, run_id=latest.id, unit=unit, key=key)
    if stored is None:
        raise NotFound(
            f"indicator: {unit} has no published score for {key[0]}/{key[1]}",
            "SCORE_NOT_FOUND",
            metadata={"field": "indicator"},
        )
    appeal = await repo.insert_appeal(
        conn,
        cycle_code=cycle_code,
        unit=unit,
        key=key,
        reason=reason,
        filed_by=by,
        run_id=latest.id,
        score_before_e4=stored.score_e4,
    )
    await audit.append(
        conn,
        actor=by,
        action="appeal.filed",
        subject=f"{cycle_code}/appeal/{appeal.id}",
        payload={
            "unit": unit,
            "indicator": f"{key[0]}/{key[1]}",
            "run": latest.run,
            "score": format_e4(stored.score_e4),
        },
    )
    return appeal


@dataclass(frozen=True)
class Decided:
    appeal: repo.AppealRow
    run: runs_repo.RunRow | None  # the run an adjustment recorded


async def decide(
    conn,
    *,
    ctx: CycleContext,
    appeal_id: int,
    adjustment: dict[str, object] | None,
    reason: str,
    caller: Principal,
) -> Decided:
    """Uphold the score (no adjustment) or record `adjustment` as a new review revision and
    a new published run; only the line department owning the indicator decides."""
    cycle_code = ctx.catalogue.cycle_code
    await lock_cycle(conn, cycle_code=cycle_code)
    appeal = await repo.get_appeal(conn, cycle_code=cycle_code, appeal_id=appeal_id)
    caller.require_department(lookups.owner(ctx.catalogue, appeal.sa_code), "appeal_id")
    by = caller.signature
    if appeal.state != "pending":
        raise FailedPrecondition(
            f"appeal_id: appeal {appeal.id} is already decided ({appeal.state})",
            "ALREADY_DECIDED",
            metadata={"field": "appeal_id"},
        )
    latest = await runs_repo.latest_run(conn, cycle_code=cycle_code)
    if latest.finalized_at is not None:
        raise FailedPrecondition(
            f"cycle_code: the scores of cycle {cycle_code!r} are final",
            "FINALIZED",
            metadata={"field": "cycle_code"},
        )
    new_run = None
    review_id = None
    if adjustment is not None:
        unit = lookups.unit(ctx.catalogue, appeal.unit_code)
        rule = lookups.rule(ctx.catalogue, appeal.key, unit)
        judged = judge(rule, adjustment, prefix="adjustment")
        previous = await reviews_repo.latest_review_of(
            conn, cycle_code=cycle_code, unit=unit.code, key=appeal.key
        )
        review = await reviews_repo.insert_review(
            conn,
            cycle_code=cycle_code,
            review=NewReview(
                unit.code,
                appeal.key,
                next_revision(previous.revision if previous else None),
                rule.method,
                judged.shown,
                judged.text,
                reason,
            ),
            reviewed_by=by,
            source=f"appeal:{appeal.id}",
        )
        review_id = review.id
        new_run = await _recompute(conn, ctx, latest, appeal, review.id, by)
    scored = await scores_repo.indicator_score(
        conn,
        run_id=new_run.id if new_run else latest.id,
        unit=appeal.unit_code,
        key=appeal.key,
    )
    await repo.decide_appeal(
        conn,
        appeal_id=appeal.id,
        state="adjusted" if new_run else "upheld",
        decided_by=by,
        reason=reason,
        score_after_e4=scored.score_e4,
        adjusted_run_id=new_run.id if new_run else None,
        review_id=review_id,
    )
    await audit.append(
        conn,
        actor=by,
        action="appeal.adjusted" if new_run else "appeal.upheld",
        subject=f"{cycle_code}/appeal/{appeal.id}",
        payload={
            "reason": reason,
            "score_before": format_e4(appeal.score_before_e4),
            "score_after": format_e4(scored.score_e4),
            "run": new_run.run if new_run else None,
            "results_sha256": new_run.results_sha256 if new_run else None,
        },
    )
    decided = await repo.get_appeal(conn, cycle_code=cycle_code, appeal_id=appeal.id)
    return Decided(decided, new_run)


async def _recompute(
    conn,
    ctx: CycleContext,
    base: runs_repo.RunRow,
    appeal: repo.AppealRow,
    review_id: int,
    by: str,
) -> runs_repo.RunRow:
    """A new published run: the base run's recipe plus the adjusted review."""
    recipe = domain.recipe_with_review(base.recipe, review_id)
    inputs = await inputs_from_recipe(conn, ctx, recipe)
    results, inputs_sha, results_sha = await compute_with_digests(inputs)
    stored = {r.unit_code: r for r in await scores_repo.unit_scores(conn, run_id=base.id)}
    changed = domain.changed_units(results, stored, appeal.unit_code)
    run = await runs_repo.insert_run(
        conn,
        cycle_code=base.cycle_code,
        trigger=f"appeal:{appeal.id}",
        results=results,
        inputs_sha256=inputs_sha,
        results_sha256=results_sha,
        recipe=recipe,
        computed_by=by,
        published_at=now(),
        appeal_deadline=base.appeal_deadline,
    )
    await scores_repo.save_results(
        conn,
        run_id=run.id,
        results=results,
        detail_units=changed,
        detail_run=domain.detail_runs(stored, changed),
    )
    return run


async def page(
    conn,
    *,
    cycle_code: str,
    unit: str,
    state: str,
    sa_codes: Sequence[str] | None,
    after: int,
    size: int,
) -> tuple[list[repo.AppealRow], bool]:
    """One page of appeals by id and whether more follow."""
    rows = await repo.list_appeals(
        conn,
        cycle_code=cycle_code,
        unit=unit,
        state=state,
        owner_sa_codes=sa_codes,
        after=after,
        limit=size + 1,
    )
    return rows[:size], len(rows) > size
