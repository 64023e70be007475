"""Score runs: one computation of a cycle's scores and the recipe to recompute it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.common.errors import InvalidArgument, NotFound
from services.scoring.model import Results


@dataclass(frozen=True)
class RunRow:
    id: int
    cycle_code: str
    run: int
    trigger: str
    units: int
    indicator_scores: int
    inputs_sha256: str
    results_sha256: str
    recipe: dict[str, Any]
    computed_at: datetime
    computed_by: str
    published_at: datetime | None
    appeal_deadline: datetime | None
    finalized_at: datetime | None

    @property
    def published(self) -> bool:
        return self.published_at is not None


COLUMNS = (
    "id, cycle_code, run, trigger, units, indicator_scores, inputs_sha256, results_sha256,"
    " recipe, computed_at, computed_by, published_at, appeal_deadline, finalized_at"
)


def _run(row: asyncpg.Record) -> RunRow:
    return RunRow(*row)


async def latest_run(conn, *, cycle_code: str, published_only: bool = False) -> RunRow | None:
    row = await conn.fetchrow(
        f"SELECT {COLUMNS} FROM score_runs"
        " WHERE cycle_code = $1 AND ($2 = false OR published_at IS NOT NULL)"
        " ORDER BY run DESC LIMIT 1",
        cycle_code,
        published_only,
    )
    return _run(row) if row else None


async def get_run(conn, *, cycle_code: str, run: int, published_only: bool = False) -> RunRow:
    """Run `run` of the cycle, or the latest when run is 0."""
    if run < 0:
        raise InvalidArgument.field("run", f"must not be negative (got {run})")
    if run == 0:
        found = await latest_run(conn, cycle_code=cycle_code, published_only=published_only)
        if found is None:
            what = "published scores" if published_only else "scores"
            raise NotFound(
                f"cycle_code: cycle {cycle_code!r} has no {what} yet",
                "NO_SCORES",
                metadata={"field": "cycle_code"},
            )
        return found
    row = await conn.fetchrow(
        f"SELECT {COLUMNS} FROM score_runs WHERE cycle_code = $1 AND run = $2", cycle_code, run
    )
    if row is None or (published_only and row["published_at"] is None):
        raise NotFound(
            f"run: cycle {cycle_code!r} has no {'published ' if published_only else ''}run {run}",
            "RUN_NOT_FOUND",
            metadata={"field": "run"},
        )
    return _run(row)


async def insert_run(
    conn,
    *,
    cycle_code: str,
    trigger: str,
    results: Results,
    inputs_sha256: str,
    results_sha256: str,
    recipe: dict[str, Any],
    computed_by: str,
    published_at: datetime | None = None,
    appeal_deadline: datetime | None = None,
) -> RunRow:
    row = await conn.fetchrow(
        f"""
        INSERT INTO score_runs (cycle_code, run, trigger, units, indicator_scores, inputs_sha256,
                                results_sha256, recipe, computed_by, published_at, appeal_deadline)
        VALUES ($1, COALESCE((SELECT max(run) FROM score_runs WHERE cycle_code = $1), 0) + 1,
                $2, $3, $4, $5, $6, $7, $8, $9, $10)
        RETURNING {COLUMNS}
        """,
        cycle_code,
        trigger,
        len(results.units),
        results.indicator_scores,
        inputs_sha256,
        results_sha256,
        recipe,
        computed_by,
        published_at,
        appeal_deadline,
    )
    return _run(row)


async def publish_run(conn, *, run_id: int, appeal_deadline: datetime) -> RunRow:
    row = await conn.fetchrow(
        "UPDATE score_runs SET published_at = now(), appeal_deadline = $2 WHERE id = $1"
        f" RETURNING {COLUMNS}",
        run_id,
        appeal_deadline,
    )
    return _run(row)


async def finalize_run(conn, *, run_id: int) -> RunRow:
    row = await conn.fetchrow(
        f"UPDATE score_runs SET finalized_at = now() WHERE id = $1 RETURNING {COLUMNS}", run_id
    )
    return _run(row)
