"""Tolerance claims, the indicators they name and the owning assessors' decisions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from services.common.errors import NotFound
from services.scoring.claims import ClaimFiling
from services.scoring.model import IndicatorKey


@dataclass(frozen=True)
class ClaimIndicatorRow:
    key: IndicatorKey
    owner: str
    approved: bool | None  # None: pending
    decided_by: str
    decided_at: datetime | None
    reason: str


@dataclass(frozen=True)
class ClaimRow:
    id: int
    cycle_code: str
    unit_code: str
    category: str
    category_name: str
    description: str
    prefiling: bool
    act_date: date | None
    filed_by: str
    filed_at: datetime
    indicators: tuple[ClaimIndicatorRow, ...]


async def insert_claim(conn, *, cycle_code: str, filing: ClaimFiling, filed_by: str) -> int:
    claim_id = await conn.fetchval(
        "INSERT INTO claims (cycle_code, unit_code, category, category_name, description,"
        " prefiling, act_date, filed_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        cycle_code,
        filing.unit,
        filing.category.code,
        filing.category.name,
        filing.description,
        filing.prefiling,
        filing.act_date,
        filed_by,
    )
    await conn.executemany(
        "INSERT INTO claim_indicators (claim_id, sa_code, indicator_code, owner, position)"
        " VALUES ($1, $2, $3, $4, $5)",
        [
            (claim_id, sa, code, owner, i)
            for i, ((sa, code), owner) in enumerate(
                zip(filing.indicators, filing.owners, strict=True)
            )
        ],
    )
    return claim_id


async def claims(
    conn,
    *,
    cycle_code: str,
    ids: Sequence[int] | None = None,
    unit: str = "",
    owner: str = "",
    state: str = "",
    after: int = 0,
    limit: int = 1 << 30,
) -> list[ClaimRow]:
    """Claims by id with their indicators; `owner` keeps claims naming one of its indicators,
    `state` ('pending', 'approved', 'rejected') claims with an indicator in that state."""
    rows = await conn.fetch(
        """
        SELECT c.id, c.cycle_code, c.unit_code, c.category, c.category_name, c.description,
               c.prefiling, c.act_date, c.filed_by, c.filed_at
        FROM claims c
        WHERE c.cycle_code = $1 AND ($2::bigint[] IS NULL OR c.id = ANY($2::bigint[]))
          AND ($3 = '' OR c.unit_code = $3) AND c.id > $6
          AND ($4 = '' OR EXISTS (
                SELECT 1 FROM claim_indicators i WHERE i.claim_id = c.id AND i.owner = $4))
          AND ($5 = '' OR EXISTS (
                SELECT 1 FROM claim_indicators i
                LEFT JOIN claim_decisions d USING (claim_id, sa_code, indicator_code)
                WHERE i.claim_id = c.id AND CASE WHEN d.id IS NULL THEN 'pending'
                                                 WHEN d.approved THEN 'approved'
                                                 ELSE 'rejected' END = $5))
        ORDER BY c.id LIMIT $7
        """,
        cycle_code,
        list(ids) if ids is not None else None,
        unit,
        owner,
        state,
        after,
        limit,
    )
    if not rows:
        return []
    details = await conn.fetch(
        "SELECT i.claim_id, i.sa_code, i.indicator_code, i.owner, d.approved, d.decided_by,"
        " d.decided_at, d.reason FROM claim_indicators i"
        " LEFT JOIN claim_decisions d USING (claim_id, sa_code, indicator_code)"
        " WHERE i.claim_id = ANY($1::bigint[]) ORDER BY i.claim_id, i.position",
        [r["id"] for r in rows],
    )
    by_claim: dict[int, list[ClaimIndicatorRow]] = {}
    for claim_id, sa, code, owner_, approved, decided_by, decided_at, reason in details:
        by_claim.setdefault(claim_id, []).append(
            ClaimIndicatorRow(
                (sa, code), owner_, approved, decided_by or "", decided_at, reason or ""
            )
        )
    return [ClaimRow(*r, indicators=tuple(by_claim.get(r["id"], ()))) for r in rows]


async def get_claim(conn, *, cycle_code: str, claim_id: int) -> ClaimRow:
    found = await claims(conn, cycle_code=cycle_code, ids=[claim_id])
    if not found:
        raise NotFound(
            f"claim_id: no claim {claim_id} in cycle {cycle_code!r}",
            "CLAIM_NOT_FOUND",
            metadata={"field": "claim_id"},
        )
    return found[0]


async def insert_decisions(
    conn,
    *,
    claim_id: int,
    keys: Iterable[IndicatorKey],
    approved: bool,
    reason: str,
    decided_by: str,
) -> None:
    await conn.executemany(
        "INSERT INTO claim_decisions (claim_id, sa_code, indicator_code, approved, reason,"
        " decided_by) VALUES ($1, $2, $3, $4, $5, $6)",
        [(claim_id, sa, code, approved, reason, decided_by) for sa, code in keys],
    )


async def decision_watermark(conn, *, cycle_code: str) -> int:
    return await conn.fetchval(
        "SELECT COALESCE(max(d.id), 0) FROM claim_decisions d JOIN claims c ON c.id = d.claim_id"
        " WHERE c.cycle_code = $1",
        cycle_code,
    )


async def approved_claims(
    conn, *, cycle_code: str, watermark: int
) -> dict[IndicatorKey, dict[str, int]]:
    """(special assessment, indicator) -> unit -> approved claim id (the first, when several)."""
    rows = await conn.fetch(
        "SELECT c.unit_code, d.sa_code, d.indicator_code, min(c.id) AS claim_id"
        " FROM claim_decisions d JOIN claims c ON c.id = d.claim_id"
        " WHERE c.cycle_code = $1 AND d.approved AND d.id <= $2"
        " GROUP BY c.unit_code, d.sa_code, d.indicator_code",
        cycle_code,
        watermark,
    )
    out: dict[IndicatorKey, dict[str, int]] = {}
    for unit, sa, code, claim_id in rows:
        out.setdefault((sa, code), {})[unit] = claim_id
    return out
