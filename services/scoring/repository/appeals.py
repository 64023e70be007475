"""Appeals against published indicator scores and their decisions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.common.errors import FailedPrecondition, NotFound
from services.scoring.model import IndicatorKey


@dataclass(frozen=True)
class AppealRow:
    id: int
    cycle_code: str
    unit_code: str
    sa_code: str
    indicator_code: str
    reason: str
    filed_by: str
    filed_at: datetime
    run_id: int  # the published run appealed
    score_before_e4: int
    state: str  # pending, upheld, adjusted
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    score_after_e4: int | None
    adjusted_run_id: int | None
    review_id: int | None  # the adjusted review
    adjusted_run: int | None  # run number of adjusted_run_id

    @property
    def key(self) -> IndicatorKey:
        return (self.sa_code, self.indicator_code)


SELECT = (
    "SELECT a.id, a.cycle_code, a.unit_code, a.sa_code, a.indicator_code, a.reason, a.filed_by,"
    " a.filed_at, a.run_id, a.score_before_e4, a.state, a.decided_by, a.decided_at,"
    " a.decision_reason, a.score_after_e4, a.adjusted_run_id, a.review_id, r.run"
    " FROM appeals a LEFT JOIN score_runs r ON r.id = a.adjusted_run_id"
)


async def insert_appeal(
    conn,
    *,
    cycle_code: str,
    unit: str,
    key: IndicatorKey,
    reason: str,
    filed_by: str,
    run_id: int,
    score_before_e4: int,
) -> AppealRow:
    try:
        appeal_id = await conn.fetchval(
            "INSERT INTO appeals (cycle_code, unit_code, sa_code, indicator_code, reason,"
            " filed_by, run_id, score_before_e4) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            " RETURNING id",
            cycle_code,
            unit,
            *key,
            reason,
            filed_by,
            run_id,
            score_before_e4,
        )
    except asyncpg.UniqueViolationError as err:
        raise FailedPrecondition(
            f"indicator: {unit} already has a pending appeal on {key[0]}/{key[1]}",
            "APPEAL_PENDING",
            metadata={"field": "indicator"},
        ) from err
    return await get_appeal(conn, cycle_code=cycle_code, appeal_id=appeal_id)


async def get_appeal(conn, *, cycle_code: str, appeal_id: int) -> AppealRow:
    row = await conn.fetchrow(
        f"{SELECT} WHERE a.cycle_code = $1 AND a.id = $2", cycle_code, appeal_id
    )
    if row is None:
        raise NotFound(
            f"appeal_id: no appeal {appeal_id} in cycle {cycle_code!r}",
            "APPEAL_NOT_FOUND",
            metadata={"field": "appeal_id"},
        )
    return AppealRow(*row)


async def list_appeals(
    conn,
    *,
    cycle_code: str,
    unit: str = "",
    state: str = "",
    owner_sa_codes: Sequence[str] | None = None,
    after: int = 0,
    limit: int = 1 << 30,
) -> list[AppealRow]:
    """Appeals by id, strictly after `after`."""
    rows = await conn.fetch(
        f"{SELECT} WHERE a.cycle_code = $1 AND ($2 = '' OR a.unit_code = $2)"
        " AND ($3 = '' OR a.state = $3) AND ($4::text[] IS NULL OR a.sa_code = ANY($4::text[]))"
        " AND a.id > $5 ORDER BY a.id LIMIT $6",
        cycle_code,
        unit,
        state,
        list(owner_sa_codes) if owner_sa_codes is not None else None,
        after,
        limit,
    )
    return [AppealRow(*r) for r in rows]


async def pending_appeals(conn, *, cycle_code: str) -> int:
    return await conn.fetchval(
        "SELECT count(*) FROM appeals WHERE cycle_code = $1 AND state = 'pending'", cycle_code
    )


async def decide_appeal(
    conn,
    *,
    appeal_id: int,
    state: str,
    decided_by: str,
    reason: str,
    score_after_e4: int,
    adjusted_run_id: int | None,
    review_id: int | None,
) -> None:
    await conn.execute(
        "UPDATE appeals SET state = $2, decided_by = $3, decided_at = now(),"
        " decision_reason = $4, score_after_e4 = $5, adjusted_run_id = $6, review_id = $7"
        " WHERE id = $1",
        appeal_id,
        state,
        decided_by,
        reason,
        score_after_e4,
        adjusted_run_id,
        review_id,
    )
