"""A run's rows: every unit's score, and indicator and special assessment detail.

Rows are written with COPY (copy_records_to_table). An appeal's run stores detail only for
the units it changed; `detail_run_id` points the others at the run holding theirs, and the
readers here follow it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import repeat

from services.scoring.model import IndicatorKey, Results
from services.scoring.numbers import fraction_text
from services.scoring.repository import to_json

INDICATOR_COLUMNS = (
    "run_id",
    "unit_code",
    "sa_code",
    "indicator_code",
    "score_e4",
    "base_e4",
    "review_id",
    "adjustment",
)
SA_COLUMNS = ("run_id", "unit_code", "sa_code", "weight", "earned", "possible", "score_e4")
UNIT_COLUMNS = (
    "run_id",
    "unit_code",
    "group_code",
    "kind",
    "composite",
    "composite_e4",
    "bonus",
    "vetoed",
    "unreviewed",
    "rank",
    "group_size",
    "tier",
    "detail_run_id",
)


@dataclass(frozen=True, slots=True)
class UnitScoreRow:
    """One unit's stored result in one run; composite and bonus exact, as "n/d"."""

    unit_code: str
    group_code: str
    kind: str
    composite: str
    composite_e4: int
    bonus: str
    vetoed: bool
    unreviewed: int
    rank: int
    group_size: int
    tier: str
    detail_run_id: int


UNIT_SELECT = (
    "SELECT unit_code, group_code, kind, composite, composite_e4, bonus, vetoed, unreviewed,"
    " rank, group_size, tier, detail_run_id FROM unit_scores"
)


@dataclass(frozen=True, slots=True)
class SpecialAssessmentRow:
    """One unit's stored special assessment score; earned and possible exact, as "n/d"."""

    unit_code: str
    sa_code: str
    weight: str
    earned: str
    possible: str
    score_e4: int


@dataclass(frozen=True, slots=True)
class IndicatorScoreRow:
    """One unit's stored indicator score; `adjustment` as Adjustment.to_json() wrote it."""

    unit_code: str
    sa_code: str
    indicator_code: str
    score_e4: int
    base_e4: int
    review_id: int | None
    adjustment: dict | None


@dataclass(frozen=True, slots=True)
class TierCount:
    """How many units of a peer group hold a tier."""

    group_code: str
    group_size: int
    tier: str
    units: int


def _indicator(row) -> IndicatorScoreRow:
    unit, sa, code, score, base, review, adjustment = row
    return IndicatorScoreRow(
        unit, sa, code, score, base, review, json.loads(adjustment) if adjustment else None
    )


# -- writing ----------------------------------------------------------------------------------


def indicator_records(
    run_id: int, results: Results, units: set[str] | None = None
) -> Iterator[tuple]:
    """COPY records of the indicator scores (all, or only those of `units`)."""
    for col in results.columns:
        sa, code = col.rule.special_assessment, col.rule.code
        adjustments = [None] * len(col.units)
        for p, adjustment in col.adjustments.items():
            adjustments[p] = to_json(adjustment.to_json())
        rows = zip(
            repeat(run_id),
            col.units,
            repeat(sa),
            repeat(code),
            col.score_e4,
            col.base_e4,
            col.review_ids,
            adjustments,
            strict=False,
        )
        if units is None:
            yield from rows
        else:
            yield from (r for r in rows if r[1] in units)


def special_assessment_records(
    run_id: int, results: Results, units: set[str] | None = None
) -> Iterator[tuple]:
    for r in results.units:
        if units is not None and r.unit.code not in units:
            continue
        for s in r.special_assessments:
            yield (
                run_id,
                r.unit.code,
                s.code,
                str(s.weight),
                fraction_text(s.earned),
                fraction_text(s.possible),
                s.score_e4,
            )


def unit_records(
    run_id: int, results: Results, detail_run: dict[str, int] | None = None
) -> Iterator[tuple]:
    for r in results.units:
        yield (
            run_id,
            r.unit.code,
            r.unit.group,
            r.unit.kind,
            fraction_text(r.composite),
            r.composite_e4,
            fraction_text(r.bonus),
            r.vetoed,
            r.unreviewed,
            r.standing.rank,
            r.standing.group_size,
            r.standing.tier,
            (detail_run or {}).get(r.unit.code, run_id),
        )


async def save_results(
    conn,
    *,
    run_id: int,
    results: Results,
    detail_units: set[str] | None = None,
    detail_run: dict[str, int] | None = None,
) -> None:
    """COPY a run's rows: every unit's score; indicator and special assessment detail for
    `detail_units` (all when None); the others point at the run holding their detail."""
    await conn.copy_records_to_table(
        "indicator_scores",
        records=indicator_records(run_id, results, detail_units),
        columns=INDICATOR_COLUMNS,
    )
    await conn.copy_records_to_table(
        "sa_scores",
        records=special_assessment_records(run_id, results, detail_units),
        columns=SA_COLUMNS,
    )
    await conn.copy_records_to_table(
        "unit_scores", records=unit_records(run_id, results, detail_run), columns=UNIT_COLUMNS
    )


# -- reading ----------------------------------------------------------------------------------


async def unit_scores(conn, *, run_id: int) -> list[UnitScoreRow]:
    """Every unit's score in the run, by group, rank and unit."""
    rows = await conn.fetch(
        f"{UNIT_SELECT} WHERE run_id = $1 ORDER BY group_code, rank, unit_code", run_id
    )
    return [UnitScoreRow(*r) for r in rows]


async def unit_score(conn, *, run_id: int, unit: str) -> UnitScoreRow | None:
    row = await conn.fetchrow(f"{UNIT_SELECT} WHERE run_id = $1 AND unit_code = $2", run_id, unit)
    return UnitScoreRow(*row) if row else None


async def unit_score_page(
    conn,
    *,
    run_id: int,
    group: str,
    after: tuple[str, int, str] | None,
    limit: int,
) -> list[UnitScoreRow]:
    """Up to `limit` scores of the run (one group when `group`), by group, rank and unit,
    strictly after the (group, rank, unit) `after` (keyset: a unit is unique in a run)."""
    after_group, after_rank, after_unit = after or ("", 0, "")
    rows = await conn.fetch(
        f"{UNIT_SELECT} WHERE run_id = $1 AND ($2 = '' OR group_code = $2)"
        " AND ($3 = false OR (group_code, rank, unit_code) > ($4, $5::int, $6))"
        " ORDER BY group_code, rank, unit_code LIMIT $7",
        run_id,
        group,
        after is not None,
        after_group,
        after_rank,
        after_unit,
        limit,
    )
    return [UnitScoreRow(*r) for r in rows]


async def tier_counts(conn, *, run_id: int, group: str) -> list[TierCount]:
    """Units per (group, tier) in the run (one group when `group`), by group."""
    rows = await conn.fetch(
        "SELECT group_code, min(group_size), tier, count(*) FROM unit_scores"
        " WHERE run_id = $1 AND ($2 = '' OR group_code = $2)"
        " GROUP BY group_code, tier ORDER BY group_code, tier",
        run_id,
        group,
    )
    return [TierCount(*r) for r in rows]


async def unit_detail(
    conn, *, detail_run_id: int, unit: str
) -> tuple[list[SpecialAssessmentRow], list[IndicatorScoreRow]]:
    sas = await conn.fetch(
        "SELECT unit_code, sa_code, weight, earned, possible, score_e4 FROM sa_scores"
        " WHERE run_id = $1 AND unit_code = $2",
        detail_run_id,
        unit,
    )
    indicators = await conn.fetch(
        "SELECT unit_code, sa_code, indicator_code, score_e4, base_e4, review_id, adjustment"
        " FROM indicator_scores WHERE run_id = $1 AND unit_code = $2",
        detail_run_id,
        unit,
    )
    return [SpecialAssessmentRow(*r) for r in sas], [_indicator(r) for r in indicators]


async def indicator_rows(conn, *, run_id: int) -> list[IndicatorScoreRow]:
    """Every unit's indicator rows as run `run_id` sees them (following detail_run_id)."""
    rows = await conn.fetch(
        "SELECT u.unit_code, s.sa_code, s.indicator_code, s.score_e4, s.base_e4, s.review_id,"
        " s.adjustment FROM unit_scores u JOIN indicator_scores s"
        " ON s.run_id = u.detail_run_id AND s.unit_code = u.unit_code WHERE u.run_id = $1",
        run_id,
    )
    return [_indicator(r) for r in rows]


async def special_assessment_rows(conn, *, run_id: int) -> list[SpecialAssessmentRow]:
    """Every unit's special assessment rows as run `run_id` sees them."""
    rows = await conn.fetch(
        "SELECT u.unit_code, s.sa_code, s.weight, s.earned, s.possible, s.score_e4"
        " FROM unit_scores u JOIN sa_scores s"
        " ON s.run_id = u.detail_run_id AND s.unit_code = u.unit_code WHERE u.run_id = $1",
        run_id,
    )
    return [SpecialAssessmentRow(*r) for r in rows]


async def indicator_score(
    conn, *, run_id: int, unit: str, key: IndicatorKey
) -> IndicatorScoreRow | None:
    """One unit's stored score of one indicator, as run `run_id` sees it."""
    row = await conn.fetchrow(
        "SELECT u.unit_code, s.sa_code, s.indicator_code, s.score_e4, s.base_e4, s.review_id,"
        " s.adjustment FROM unit_scores u JOIN indicator_scores s"
        " ON s.run_id = u.detail_run_id AND s.unit_code = u.unit_code"
        " WHERE u.run_id = $1 AND u.unit_code = $2 AND s.sa_code = $3 AND s.indicator_code = $4",
        run_id,
        unit,
        *key,
    )
    return _indicator(row) if row else None
