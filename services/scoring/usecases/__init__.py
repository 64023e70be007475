"""The scoring service's use cases, one module per aggregate: reviews, runs, scorecards,
claims and appeals. Each takes domain values (never protos), runs the pure rules, reads and
writes through the repository inside the caller's transaction, appends to the audit log, and
returns rows or domain values for the handlers to render.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime

from services.common.errors import FailedPrecondition
from services.scoring.convert import CycleContext, rules_from_json
from services.scoring.digests import inputs_digest
from services.scoring.model import Inputs, Results
from services.scoring.repository import claims as claims_repo
from services.scoring.repository import reviews as reviews_repo
from services.scoring.repository import runs as runs_repo
from services.scoring.repository import snapshots as snapshots_repo
from services.scoring.rules import compute


def now() -> datetime:
    return datetime.now(UTC)


async def guard_unpublished(conn, *, cycle_code: str) -> None:
    """Reviews and claims close when a cycle's scores are published."""
    latest = await runs_repo.latest_run(conn, cycle_code=cycle_code)
    if latest is not None and latest.published:
        raise FailedPrecondition(
            f"cycle_code: the scores of cycle {cycle_code!r} are published;"
            " changes now go through appeals",
            "SCORES_PUBLISHED",
            metadata={"field": "cycle_code"},
        )


def _compute_with_digests(inputs: Inputs) -> tuple[Results, str, str]:
    results = compute(inputs)
    return results, inputs_digest(inputs), results.digest()


async def compute_with_digests(inputs: Inputs) -> tuple[Results, str, str]:
    """The results, the inputs' sha256 and the results' sha256, off the event loop."""
    return await asyncio.to_thread(_compute_with_digests, inputs)


async def inputs_from_recipe(conn, ctx: CycleContext, recipe: Mapping) -> Inputs:
    """The inputs a run's recipe names: its ask snapshot, the reviews and claim decisions up
    to its watermarks, and the adjusted reviews of appeals over them."""
    snapshot = await snapshots_repo.load_ask_snapshot(conn, sha256=recipe["ask_snapshot"])
    cycle = ctx.catalogue.cycle_code
    latest = await reviews_repo.latest_reviews(
        conn, cycle_code=cycle, watermark=recipe["review_watermark"]
    )
    return Inputs(
        ctx.catalogue,
        rules_from_json(recipe["rules"]),
        snapshot.deadline,
        snapshot.extended,
        snapshot.times,
        await reviews_repo.overlay_reviews(
            conn, reviews=latest, ids=recipe.get("appeal_reviews", [])
        ),
        await claims_repo.approved_claims(
            conn, cycle_code=cycle, watermark=recipe["decision_watermark"]
        ),
    )
