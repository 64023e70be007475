"""Reviews: every revision of every assessor judgement (append-only)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from services.scoring.model import IndicatorKey, ReviewRef
from services.scoring.repository import to_json
from services.scoring.reviews import NewReview, parse_judgement


@dataclass(frozen=True)
class ReviewRow:
    id: int
    cycle_code: str
    unit_code: str
    sa_code: str
    indicator_code: str
    revision: int
    method: str
    input: dict[str, str]  # as shown: {"value": "0.95"}
    judgement: str  # canonical, as reviews.judgement_text writes it
    comment: str
    reviewed_by: str
    reviewed_at: datetime
    source: str  # rpc, import:<file>, appeal:<id>

    @property
    def key(self) -> IndicatorKey:
        return (self.sa_code, self.indicator_code)


COLUMNS = (
    "id, cycle_code, unit_code, sa_code, indicator_code, revision, method, input, judgement,"
    " comment, reviewed_by, reviewed_at, source"
)


def _review(row) -> ReviewRow:
    values = list(row)
    values[7] = json.loads(values[7])
    return ReviewRow(*values)


async def review_watermark(conn, *, cycle_code: str) -> int:
    return await conn.fetchval(
        "SELECT COALESCE(max(id), 0) FROM reviews WHERE cycle_code = $1", cycle_code
    )


async def latest_reviews(
    conn, *, cycle_code: str, watermark: int
) -> dict[IndicatorKey, dict[str, ReviewRef]]:
    """(special assessment, indicator) -> unit -> (review id, judgement): the latest revision
    up to `watermark`."""
    rows = await conn.fetch(
        "SELECT DISTINCT ON (unit_code, sa_code, indicator_code)"
        " id, unit_code, sa_code, indicator_code, method, judgement"
        " FROM reviews WHERE cycle_code = $1 AND id <= $2"
        " ORDER BY unit_code, sa_code, indicator_code, revision DESC",
        cycle_code,
        watermark,
    )
    out: dict[IndicatorKey, dict[str, ReviewRef]] = {}
    for review_id, unit, sa, code, method, judgement in rows:
        key = (sa, code)
        by_unit = out.get(key)
        if by_unit is None:
            by_unit = out[key] = {}
        by_unit[unit] = (review_id, parse_judgement(method, judgement))
    return out


async def overlay_reviews(
    conn, *, reviews: dict[IndicatorKey, dict[str, ReviewRef]], ids: Sequence[int]
) -> dict[IndicatorKey, dict[str, ReviewRef]]:
    """`reviews` with these reviews (appeal adjustments, in order) put over their unit's."""
    if not ids:
        return reviews
    rows = await conn.fetch(
        "SELECT id, unit_code, sa_code, indicator_code, method, judgement FROM reviews"
        " WHERE id = ANY($1::bigint[])",
        list(ids),
    )
    by_id = {r["id"]: r for r in rows}
    for review_id in ids:
        _, unit, sa, code, method, judgement = by_id[review_id]
        reviews.setdefault((sa, code), {})[unit] = (review_id, parse_judgement(method, judgement))
    return reviews


async def latest_review_of(
    conn, *, cycle_code: str, unit: str, key: IndicatorKey
) -> ReviewRow | None:
    row = await conn.fetchrow(
        f"SELECT {COLUMNS} FROM reviews WHERE cycle_code = $1 AND unit_code = $2"
        " AND sa_code = $3 AND indicator_code = $4 ORDER BY revision DESC LIMIT 1",
        cycle_code,
        unit,
        *key,
    )
    return _review(row) if row else None


async def latest_of_special_assessments(
    conn, *, cycle_code: str, sa_codes: Sequence[str]
) -> dict[tuple[str, IndicatorKey], ReviewRow]:
    """(unit, indicator) -> its latest revision, for the indicators of these special
    assessments."""
    rows = await conn.fetch(
        f"SELECT DISTINCT ON (unit_code, sa_code, indicator_code) {COLUMNS} FROM reviews"
        " WHERE cycle_code = $1 AND sa_code = ANY($2::text[])"
        " ORDER BY unit_code, sa_code, indicator_code, revision DESC",
        cycle_code,
        list(sa_codes),
    )
    reviews = [_review(r) for r in rows]
    return {(r.unit_code, r.key): r for r in reviews}


async def insert_review(
    conn, *, cycle_code: str, review: NewReview, reviewed_by: str, source: str
) -> ReviewRow:
    row = await conn.fetchrow(
        "INSERT INTO reviews (cycle_code, unit_code, sa_code, indicator_code, revision, method,"
        " input, judgement, comment, reviewed_by, source)"
        f" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {COLUMNS}",
        cycle_code,
        review.unit,
        *review.key,
        review.revision,
        review.method,
        to_json(review.shown),
        review.judgement,
        review.comment,
        reviewed_by,
        source,
    )
    return _review(row)


async def insert_reviews(
    conn,
    *,
    cycle_code: str,
    reviews: Sequence[NewReview],
    reviewed_by: str,
    source: str,
    at: datetime,
) -> None:
    await conn.copy_records_to_table(
        "reviews",
        records=[
            (
                cycle_code,
                r.unit,
                r.key[0],
                r.key[1],
                r.revision,
                r.method,
                to_json(r.shown),
                r.judgement,
                r.comment,
                reviewed_by,
                at,
                source,
            )
            for r in reviews
        ],
        columns=(
            "cycle_code",
            "unit_code",
            "sa_code",
            "indicator_code",
            "revision",
            "method",
            "input",
            "judgement",
            "comment",
            "reviewed_by",
            "reviewed_at",
            "source",
        ),
    )


async def list_reviews(
    conn,
    *,
    cycle_code: str,
    unit: str,
    sa_codes: Sequence[str] | None,
    indicator: str,
    all_revisions: bool,
    after: tuple[str, str, str, int] | None,
    limit: int,
) -> list[ReviewRow]:
    """Reviews by unit, special assessment, indicator and revision descending, strictly
    after the (unit, special assessment, indicator, revision) `after`."""
    after_unit, after_sa, after_ind, after_rev = after or ("", "", "", 1 << 30)
    rows = await conn.fetch(
        f"""
        SELECT {COLUMNS} FROM (
            SELECT r.*, rank() OVER (PARTITION BY unit_code, sa_code, indicator_code
                                     ORDER BY revision DESC) AS recency
            FROM reviews r
            WHERE cycle_code = $1 AND ($2 = '' OR unit_code = $2)
              AND ($3::text[] IS NULL OR sa_code = ANY($3::text[]))
              AND ($4 = '' OR indicator_code = $4)
        ) x
        WHERE ($5 OR recency = 1)
          AND (unit_code, sa_code, indicator_code, -revision) > ($6, $7, $8, -$9::int)
        ORDER BY unit_code, sa_code, indicator_code, revision DESC
        LIMIT $10
        """,
        cycle_code,
        unit,
        list(sa_codes) if sa_codes is not None else None,
        indicator,
        all_revisions,
        after_unit,
        after_sa,
        after_ind,
        after_rev,
        limit,
    )
    return [_review(r) for r in rows]


async def reviews_by_id(conn, *, ids: Sequence[int]) -> dict[int, ReviewRow]:
    rows = await conn.fetch(
        f"SELECT {COLUMNS} FROM reviews WHERE id = ANY($1::bigint[])", list(ids)
    )
    reviews = [_review(r) for r in rows]
    return {r.id: r for r in reviews}


async def reviewed_pairs(conn, *, cycle_code: str) -> set[tuple[str, str, str]]:
    """(unit, special assessment, indicator) of every pair with at least one review."""
    rows = await conn.fetch(
        "SELECT DISTINCT unit_code, sa_code, indicator_code FROM reviews WHERE cycle_code = $1",
        cycle_code,
    )
    return {(r[0], r[1], r[2]) for r in rows}
