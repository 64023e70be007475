"""SQL of the scoring service (explicit, keyword-only): reviews, claims, appeals, score runs.

Writes to one cycle serialise on an advisory lock (`lock_cycle`), so a run's watermarks
(the last review and claim decision it saw) describe exactly what it used. Results are
written with COPY (copy_records_to_table).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import repeat
from typing import Any

import asyncpg

from services.common.errors import FailedPrecondition, InvalidArgument, NotFound
from services.scoring.claims import ClaimFiling
from services.scoring.reviews import parse_judgement
from services.scoring.rules import IndicatorKey, Results, ReviewRef, fraction_text

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


async def lock_cycle(conn: asyncpg.Connection, cycle_code: str) -> None:
    """Serialise writes to one cycle until the transaction ends."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext('oneassess.scoring.' || $1))", cycle_code
    )


# -- runs -----------------------------------------------------------------------------------


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


def _run(row: asyncpg.Record) -> RunRow:
    return RunRow(**dict(row))


async def latest_run(conn, *, cycle_code: str, published_only: bool = False) -> RunRow | None:
    row = await conn.fetchrow(
        "SELECT * FROM score_runs WHERE cycle_code = $1 AND ($2 = false OR published_at IS NOT NULL)"
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
        "SELECT * FROM score_runs WHERE cycle_code = $1 AND run = $2", cycle_code, run
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
        """
        INSERT INTO score_runs (cycle_code, run, trigger, units, indicator_scores, inputs_sha256, results_sha256,
                                recipe, computed_by, published_at, appeal_deadline)
        VALUES ($1, COALESCE((SELECT max(run) FROM score_runs WHERE cycle_code = $1), 0) + 1,
                $2, $3, $4, $5, $6, $7, $8, $9, $10)
        RETURNING *
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
        "UPDATE score_runs SET published_at = now(), appeal_deadline = $2 WHERE id = $1 RETURNING *",
        run_id,
        appeal_deadline,
    )
    return _run(row)


async def finalize_run(conn, *, run_id: int) -> RunRow:
    return _run(
        await conn.fetchrow(
            "UPDATE score_runs SET finalized_at = now() WHERE id = $1 RETURNING *", run_id
        )
    )


# -- results --------------------------------------------------------------------------------


def indicator_records(
    run_id: int, results: Results, units: set[str] | None = None
) -> Iterator[tuple]:
    """COPY records of the indicator scores (all, or only those of `units`)."""
    for col in results.columns:
        sa, code = col.rule.special_assessment, col.rule.code
        adjustments = [None] * len(col.units)
        for p, adjustment in col.adjustments.items():
            adjustments[p] = _json(adjustment.to_json())
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


async def unit_scores(
    conn, *, run_id: int, group: str = "", unit: str = ""
) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM unit_scores WHERE run_id = $1 AND ($2 = '' OR group_code = $2) AND ($3 = '' OR unit_code = $3)"
        " ORDER BY group_code, rank, unit_code",
        run_id,
        group,
        unit,
    )


async def unit_detail(
    conn, *, detail_run_id: int, unit: str
) -> tuple[list[asyncpg.Record], list[asyncpg.Record]]:
    sas = await conn.fetch(
        "SELECT * FROM sa_scores WHERE run_id = $1 AND unit_code = $2", detail_run_id, unit
    )
    indicators = await conn.fetch(
        "SELECT * FROM indicator_scores WHERE run_id = $1 AND unit_code = $2", detail_run_id, unit
    )
    return list(sas), list(indicators)


async def stored_indicator_rows(conn, *, run_id: int) -> list[asyncpg.Record]:
    """Every unit's indicator rows as run `run_id` sees them (following detail_run_id)."""
    return await conn.fetch(
        "SELECT u.unit_code, s.sa_code, s.indicator_code, s.score_e4, s.base_e4, s.review_id, s.adjustment"
        " FROM unit_scores u JOIN indicator_scores s ON s.run_id = u.detail_run_id AND s.unit_code = u.unit_code"
        " WHERE u.run_id = $1",
        run_id,
    )


async def stored_sa_rows(conn, *, run_id: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT u.unit_code, s.sa_code, s.weight, s.earned, s.possible, s.score_e4"
        " FROM unit_scores u JOIN sa_scores s ON s.run_id = u.detail_run_id AND s.unit_code = u.unit_code"
        " WHERE u.run_id = $1",
        run_id,
    )


# -- reviews --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewRow:
    id: int
    cycle_code: str
    unit_code: str
    sa_code: str
    indicator_code: str
    revision: int
    method: str
    input: dict[str, str]
    judgement: str
    comment: str
    reviewed_by: str
    reviewed_at: datetime
    source: str


def _review(row: asyncpg.Record) -> ReviewRow:
    return ReviewRow(**{**dict(row), "input": json.loads(row["input"])})


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


async def review_watermark(conn, *, cycle_code: str) -> int:
    return await conn.fetchval(
        "SELECT COALESCE(max(id), 0) FROM reviews WHERE cycle_code = $1", cycle_code
    )


async def latest_reviews(
    conn, *, cycle_code: str, watermark: int
) -> dict[IndicatorKey, dict[str, ReviewRef]]:
    """(special assessment, indicator) -> unit -> (review id, judgement): the latest revision up to `watermark`."""
    rows = await conn.fetch(
        "SELECT DISTINCT ON (unit_code, sa_code, indicator_code) id, unit_code, sa_code, indicator_code, method, judgement"
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
    conn, reviews: dict[IndicatorKey, dict[str, ReviewRef]], *, ids: Sequence[int]
) -> dict[IndicatorKey, dict[str, ReviewRef]]:
    """`reviews` with these reviews (appeal adjustments, in order) put over their unit's."""
    if not ids:
        return reviews
    rows = await conn.fetch(
        "SELECT id, unit_code, sa_code, indicator_code, method, judgement FROM reviews WHERE id = ANY($1::bigint[])",
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
        "SELECT * FROM reviews WHERE cycle_code = $1 AND unit_code = $2 AND sa_code = $3 AND indicator_code = $4"
        " ORDER BY revision DESC LIMIT 1",
        cycle_code,
        unit,
        *key,
    )
    return _review(row) if row else None


async def latest_of_special_assessments(
    conn, *, cycle_code: str, sa_codes: Sequence[str]
) -> dict[tuple[str, IndicatorKey], ReviewRow]:
    rows = await conn.fetch(
        "SELECT DISTINCT ON (unit_code, sa_code, indicator_code) * FROM reviews"
        " WHERE cycle_code = $1 AND sa_code = ANY($2::text[])"
        " ORDER BY unit_code, sa_code, indicator_code, revision DESC",
        cycle_code,
        list(sa_codes),
    )
    return {(r["unit_code"], (r["sa_code"], r["indicator_code"])): _review(r) for r in rows}


@dataclass(frozen=True)
class NewReview:
    unit: str
    key: IndicatorKey
    revision: int
    method: str
    shown: dict[str, str]
    judgement: str
    comment: str


async def insert_review(
    conn, *, cycle_code: str, review: NewReview, reviewed_by: str, source: str
) -> ReviewRow:
    row = await conn.fetchrow(
        "INSERT INTO reviews (cycle_code, unit_code, sa_code, indicator_code, revision, method, input, judgement,"
        " comment, reviewed_by, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *",
        cycle_code,
        review.unit,
        *review.key,
        review.revision,
        review.method,
        _json(review.shown),
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
                _json(r.shown),
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
    after_unit, after_sa, after_ind, after_rev = after or ("", "", "", 1 << 30)
    rows = await conn.fetch(
        """
        SELECT * FROM (
            SELECT r.*, rank() OVER (PARTITION BY unit_code, sa_code, indicator_code ORDER BY revision DESC) AS recency
            FROM reviews r
            WHERE cycle_code = $1 AND ($2 = '' OR unit_code = $2)
              AND ($3::text[] IS NULL OR sa_code = ANY($3::text[])) AND ($4 = '' OR indicator_code = $4)
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
    return [_review({k: v for k, v in r.items() if k != "recency"}) for r in rows]


async def reviews_by_id(conn, *, ids: Sequence[int]) -> dict[int, ReviewRow]:
    rows = await conn.fetch("SELECT * FROM reviews WHERE id = ANY($1::bigint[])", list(ids))
    return {r["id"]: _review(r) for r in rows}


async def reviewed_pairs(conn, *, cycle_code: str) -> set[tuple[str, str, str]]:
    rows = await conn.fetch(
        "SELECT DISTINCT unit_code, sa_code, indicator_code FROM reviews WHERE cycle_code = $1",
        cycle_code,
    )
    return {(r[0], r[1], r[2]) for r in rows}


# -- claims ---------------------------------------------------------------------------------


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
        "INSERT INTO claims (cycle_code, unit_code, category, category_name, description, prefiling, act_date, filed_by)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
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
        "INSERT INTO claim_indicators (claim_id, sa_code, indicator_code, owner, position) VALUES ($1, $2, $3, $4, $5)",
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
    """Claims with their indicators; `owner` keeps claims naming one of its indicators,
    `state` ('pending', 'approved', 'rejected') claims with an indicator in that state."""
    rows = await conn.fetch(
        """
        SELECT c.* FROM claims c
        WHERE c.cycle_code = $1 AND ($2::bigint[] IS NULL OR c.id = ANY($2::bigint[]))
          AND ($3 = '' OR c.unit_code = $3) AND c.id > $6
          AND ($4 = '' OR EXISTS (SELECT 1 FROM claim_indicators i WHERE i.claim_id = c.id AND i.owner = $4))
          AND ($5 = '' OR EXISTS (
                SELECT 1 FROM claim_indicators i LEFT JOIN claim_decisions d USING (claim_id, sa_code, indicator_code)
                WHERE i.claim_id = c.id AND CASE WHEN d.id IS NULL THEN 'pending'
                                                 WHEN d.approved THEN 'approved' ELSE 'rejected' END = $5))
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
        "SELECT i.claim_id, i.sa_code, i.indicator_code, i.owner, d.approved, d.decided_by, d.decided_at, d.reason"
        " FROM claim_indicators i LEFT JOIN claim_decisions d USING (claim_id, sa_code, indicator_code)"
        " WHERE i.claim_id = ANY($1::bigint[]) ORDER BY i.claim_id, i.position",
        [r["id"] for r in rows],
    )
    by_claim: dict[int, list[ClaimIndicatorRow]] = {}
    for d in details:
        by_claim.setdefault(d["claim_id"], []).append(
            ClaimIndicatorRow(
                (d["sa_code"], d["indicator_code"]),
                d["owner"],
                d["approved"],
                d["decided_by"] or "",
                d["decided_at"],
                d["reason"] or "",
            )
        )
    return [ClaimRow(**dict(r), indicators=tuple(by_claim.get(r["id"], ()))) for r in rows]


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
        "INSERT INTO claim_decisions (claim_id, sa_code, indicator_code, approved, reason, decided_by)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        [(claim_id, sa, code, approved, reason, decided_by) for sa, code in keys],
    )


async def decision_watermark(conn, *, cycle_code: str) -> int:
    return await conn.fetchval(
        "SELECT COALESCE(max(d.id), 0) FROM claim_decisions d JOIN claims c ON c.id = d.claim_id WHERE c.cycle_code = $1",
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


# -- ask snapshots --------------------------------------------------------------------------


async def save_ask_snapshot(
    conn,
    *,
    sha256: str,
    cycle_code: str,
    deadline: datetime,
    extended: dict[str, datetime],
    times: dict[str, dict[str, datetime]],
) -> None:
    """Store the submission times a run used, once per content."""
    exists = await conn.fetchval("SELECT 1 FROM ask_snapshots WHERE sha256 = $1", sha256)
    if exists:
        return
    count = sum(len(t) for t in times.values())
    await conn.execute(
        "INSERT INTO ask_snapshots (sha256, cycle_code, deadline, extended, asks) VALUES ($1, $2, $3, $4, $5)",
        sha256,
        cycle_code,
        deadline,
        {u: d.isoformat() for u, d in sorted(extended.items())},
        count,
    )
    await conn.copy_records_to_table(
        "ask_snapshot_times",
        records=(
            (sha256, unit, key, at) for unit, keys in times.items() for key, at in keys.items()
        ),
        columns=("sha256", "unit_code", "evidence_key", "first_submitted_at"),
    )


async def load_ask_snapshot(
    conn, *, sha256: str
) -> tuple[datetime, dict[str, datetime], dict[str, dict[str, datetime]]]:
    head = await conn.fetchrow("SELECT * FROM ask_snapshots WHERE sha256 = $1", sha256)
    if head is None:
        raise FailedPrecondition(f"ask snapshot {sha256} is missing", "SNAPSHOT_MISSING")
    times: dict[str, dict[str, datetime]] = {}
    for unit, key, at in await conn.fetch(
        "SELECT unit_code, evidence_key, first_submitted_at FROM ask_snapshot_times WHERE sha256 = $1",
        sha256,
    ):
        times.setdefault(unit, {})[key] = at
    extended = {u: datetime.fromisoformat(d) for u, d in head["extended"].items()}
    return head["deadline"], extended, times


# -- appeals --------------------------------------------------------------------------------


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
    run_id: int
    score_before_e4: int
    state: str
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    score_after_e4: int | None
    adjusted_run_id: int | None
    review_id: int | None
    adjusted_run: int | None = None


APPEAL_SELECT = "SELECT a.*, r.run AS adjusted_run FROM appeals a LEFT JOIN score_runs r ON r.id = a.adjusted_run_id"


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
            "INSERT INTO appeals (cycle_code, unit_code, sa_code, indicator_code, reason, filed_by, run_id, score_before_e4)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
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
        f"{APPEAL_SELECT} WHERE a.cycle_code = $1 AND a.id = $2", cycle_code, appeal_id
    )
    if row is None:
        raise NotFound(
            f"appeal_id: no appeal {appeal_id} in cycle {cycle_code!r}",
            "APPEAL_NOT_FOUND",
            metadata={"field": "appeal_id"},
        )
    return AppealRow(**dict(row))


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
    rows = await conn.fetch(
        f"{APPEAL_SELECT} WHERE a.cycle_code = $1 AND ($2 = '' OR a.unit_code = $2) AND ($3 = '' OR a.state = $3)"
        " AND ($4::text[] IS NULL OR a.sa_code = ANY($4::text[])) AND a.id > $5 ORDER BY a.id LIMIT $6",
        cycle_code,
        unit,
        state,
        list(owner_sa_codes) if owner_sa_codes is not None else None,
        after,
        limit,
    )
    return [AppealRow(**dict(r)) for r in rows]


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
        "UPDATE appeals SET state = $2, decided_by = $3, decided_at = now(), decision_reason = $4, score_after_e4 = $5,"
        " adjusted_run_id = $6, review_id = $7 WHERE id = $1",
        appeal_id,
        state,
        decided_by,
        reason,
        score_after_e4,
        adjusted_run_id,
        review_id,
    )


async def indicator_score(
    conn, *, run_id: int, unit: str, key: IndicatorKey
) -> asyncpg.Record | None:
    """One unit's stored score of one indicator, as run `run_id` sees it."""
    return await conn.fetchrow(
        "SELECT s.* FROM unit_scores u JOIN indicator_scores s ON s.run_id = u.detail_run_id AND s.unit_code = u.unit_code"
        " WHERE u.run_id = $1 AND u.unit_code = $2 AND s.sa_code = $3 AND s.indicator_code = $4",
        run_id,
        unit,
        *key,
    )
