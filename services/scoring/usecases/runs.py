"""Score runs: compute, publish, finalize; verify a stored run; preview other weights."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from services.common import audit
from services.common.errors import FailedPrecondition
from services.scoring import verify, weights
from services.scoring.convert import CycleContext, rules_from_json, rules_to_json
from services.scoring.model import Inputs
from services.scoring.peers import AskTimes
from services.scoring.repository import appeals as appeals_repo
from services.scoring.repository import claims as claims_repo
from services.scoring.repository import lock_cycle
from services.scoring.repository import reviews as reviews_repo
from services.scoring.repository import runs as repo
from services.scoring.repository import scores as scores_repo
from services.scoring.repository import snapshots as snapshots_repo
from services.scoring.usecases import (
    compute_with_digests,
    guard_unpublished,
    inputs_from_recipe,
    now,
)

MAX_DIFFERENCES = 20


async def compute(conn, *, ctx: CycleContext, asks: AskTimes, by: str) -> repo.RunRow:
    """A new run from the latest reviews and approved claims, recorded with its recipe."""
    cycle_code = ctx.catalogue.cycle_code
    await lock_cycle(conn, cycle_code=cycle_code)
    await guard_unpublished(conn, cycle_code=cycle_code)
    review_mark = await reviews_repo.review_watermark(conn, cycle_code=cycle_code)
    decision_mark = await claims_repo.decision_watermark(conn, cycle_code=cycle_code)
    inputs = Inputs(
        ctx.catalogue,
        ctx.rules,
        asks.deadline,
        asks.extended,
        asks.times,
        await reviews_repo.latest_reviews(conn, cycle_code=cycle_code, watermark=review_mark),
        await claims_repo.approved_claims(conn, cycle_code=cycle_code, watermark=decision_mark),
    )
    results, inputs_sha, results_sha = await compute_with_digests(inputs)
    snapshot = asks.sha256
    await snapshots_repo.save_ask_snapshot(
        conn,
        sha256=snapshot,
        cycle_code=cycle_code,
        snapshot=snapshots_repo.AskSnapshot(asks.deadline, asks.extended, asks.times),
    )
    recipe = {
        "catalogue_sha256": ctx.catalogue.sha256,
        "review_watermark": review_mark,
        "decision_watermark": decision_mark,
        "ask_snapshot": snapshot,
        "rules": rules_to_json(ctx.rules),
    }
    run = await repo.insert_run(
        conn,
        cycle_code=cycle_code,
        trigger="compute",
        results=results,
        inputs_sha256=inputs_sha,
        results_sha256=results_sha,
        recipe=recipe,
        computed_by=by,
    )
    await scores_repo.save_results(conn, run_id=run.id, results=results)
    await audit.append(
        conn,
        actor=by,
        action="scores.computed",
        subject=f"{cycle_code}#{run.run}",
        payload={
            "inputs_sha256": inputs_sha,
            "results_sha256": results_sha,
            "units": run.units,
            **recipe,
        },
    )
    return run


async def publish(conn, *, cycle_code: str, appeal_deadline: datetime, by: str) -> repo.RunRow:
    """Publish the latest run and open the appeal window until `appeal_deadline`."""
    await lock_cycle(conn, cycle_code=cycle_code)
    latest = await repo.latest_run(conn, cycle_code=cycle_code)
    if latest is None:
        raise FailedPrecondition(
            f"cycle_code: cycle {cycle_code!r} has no computed scores (ComputeScores first)",
            "NO_SCORES",
            metadata={"field": "cycle_code"},
        )
    if latest.published:
        raise FailedPrecondition(
            f"cycle_code: run {latest.run} of cycle {cycle_code!r} is already published",
            "ALREADY_PUBLISHED",
            metadata={"field": "cycle_code"},
        )
    run = await repo.publish_run(conn, run_id=latest.id, appeal_deadline=appeal_deadline)
    await audit.append(
        conn,
        actor=by,
        action="scores.published",
        subject=f"{cycle_code}#{run.run}",
        payload={
            "results_sha256": run.results_sha256,
            "appeal_deadline": appeal_deadline.isoformat(),
        },
    )
    return run


async def finalize(conn, *, cycle_code: str, by: str) -> repo.RunRow:
    """Make the latest published run final once its appeal window closed and no appeal is
    pending (again: the final run)."""
    await lock_cycle(conn, cycle_code=cycle_code)
    latest = await repo.latest_run(conn, cycle_code=cycle_code)
    if latest is None or not latest.published:
        raise FailedPrecondition(
            f"cycle_code: cycle {cycle_code!r} has no published scores to finalize",
            "NOT_PUBLISHED",
            metadata={"field": "cycle_code"},
        )
    if latest.finalized_at is not None:
        return latest
    if latest.appeal_deadline is not None and now() < latest.appeal_deadline:
        raise FailedPrecondition(
            f"cycle_code: the appeal window of cycle {cycle_code!r} is open until"
            f" {latest.appeal_deadline.isoformat()}",
            "APPEAL_WINDOW_OPEN",
            metadata={"field": "cycle_code"},
        )
    pending = await appeals_repo.pending_appeals(conn, cycle_code=cycle_code)
    if pending:
        raise FailedPrecondition(
            f"cycle_code: {pending} appeal(s) of cycle {cycle_code!r} are still pending",
            "APPEALS_PENDING",
            metadata={"field": "cycle_code", "pending": str(pending)},
        )
    run = await repo.finalize_run(conn, run_id=latest.id)
    await audit.append(
        conn,
        actor=by,
        action="scores.finalized",
        subject=f"{cycle_code}#{run.run}",
        payload={"results_sha256": run.results_sha256},
    )
    return run


@dataclass(frozen=True)
class Verification:
    run: repo.RunRow
    inputs_sha256: str
    results_sha256: str
    differences: list[str]  # at most MAX_DIFFERENCES


async def check(pool, *, ctx: CycleContext, run_number: int) -> Verification:
    """Recompute a stored run from its recipe and compare hashes and every stored row."""
    run = await repo.get_run(pool, cycle_code=ctx.catalogue.cycle_code, run=run_number)
    differences: list[str] = []
    if run.recipe["catalogue_sha256"] != ctx.catalogue.sha256:
        differences.append(
            f"catalogue: run used {run.recipe['catalogue_sha256']},"
            f" the cycle's is {ctx.catalogue.sha256}"
        )
    async with pool.acquire() as conn:
        inputs = await inputs_from_recipe(conn, ctx, run.recipe)
        results, inputs_sha, results_sha = await compute_with_digests(inputs)
        stored_units = await scores_repo.unit_scores(conn, run_id=run.id)
        stored_indicators = await scores_repo.indicator_rows(conn, run_id=run.id)
    if inputs_sha != run.inputs_sha256:
        differences.append(f"inputs_sha256: stored {run.inputs_sha256}, recomputed {inputs_sha}")
    if results_sha != run.results_sha256:
        differences.append(f"results_sha256: stored {run.results_sha256}, recomputed {results_sha}")
    differences += verify.differences(results, stored_units, stored_indicators)
    return Verification(run, inputs_sha, results_sha, differences[:MAX_DIFFERENCES])


@dataclass(frozen=True)
class Preview:
    run: repo.RunRow
    weights: dict[str, Fraction]
    units: list[tuple[scores_repo.UnitScoreRow, weights.Previewed]]  # stored, previewed


async def preview(
    conn, *, ctx: CycleContext, run_number: int, given: dict[str, str], group: str
) -> Preview:
    """The ranking of a stored run under other weights (one group when `group`)."""
    chosen = weights.weights_with(ctx.catalogue, given)
    run = await repo.get_run(conn, cycle_code=ctx.catalogue.cycle_code, run=run_number)
    units = await scores_repo.unit_scores(conn, run_id=run.id)
    sa_rows = await scores_repo.special_assessment_rows(conn, run_id=run.id)
    previewed = weights.preview(units, sa_rows, chosen, rules_from_json(run.recipe["rules"]))
    return Preview(
        run,
        chosen,
        [(u, previewed[u.unit_code]) for u in units if not group or u.group_code == group],
    )
