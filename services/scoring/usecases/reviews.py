"""Reviews: record one, import a sheet, read the latest for a template, list, count missing."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from services.common import audit
from services.scoring import reviews as domain
from services.scoring.imports import ImportedReview
from services.scoring.model import Catalogue, IndicatorKey, IndicatorRule
from services.scoring.repository import lock_cycle
from services.scoring.repository import reviews as repo
from services.scoring.usecases import guard_unpublished, now


async def record(
    conn,
    *,
    cycle_code: str,
    unit: str,
    rule: IndicatorRule,
    judged: domain.Judged,
    comment: str,
    by: str,
) -> repo.ReviewRow:
    """A new revision of the (unit, indicator) review, while the scores are unpublished."""
    await lock_cycle(conn, cycle_code=cycle_code)
    await guard_unpublished(conn, cycle_code=cycle_code)
    latest = await repo.latest_review_of(conn, cycle_code=cycle_code, unit=unit, key=rule.key)
    row = await repo.insert_review(
        conn,
        cycle_code=cycle_code,
        review=domain.NewReview(
            unit,
            rule.key,
            domain.next_revision(latest.revision if latest else None),
            rule.method,
            judged.shown,
            judged.text,
            comment,
        ),
        reviewed_by=by,
        source="rpc",
    )
    await audit.append(
        conn,
        actor=by,
        action="review.recorded",
        subject=f"{cycle_code}/{unit}/{rule.special_assessment}/{rule.code}",
        payload={"revision": row.revision, "input": judged.shown, "comment": comment},
    )
    return row


@dataclass(frozen=True)
class Imported:
    recorded: int
    unchanged: int
    blank: int


async def import_sheet(
    conn,
    *,
    cycle_code: str,
    name: str,
    content: bytes,
    valid: Sequence[ImportedReview],
    blank: int,
    by: str,
) -> Imported:
    """Record the validated rows of a sheet that differ from the latest revision, at once."""
    await lock_cycle(conn, cycle_code=cycle_code)
    await guard_unpublished(conn, cycle_code=cycle_code)
    latest = await repo.latest_of_special_assessments(
        conn, cycle_code=cycle_code, sa_codes=sorted({v.rule.special_assessment for v in valid})
    )
    new, unchanged = domain.revisions(
        [(v.unit, v.rule, v.judged, v.comment) for v in valid],
        {pair: domain.Recorded(r.revision, r.judgement, r.comment) for pair, r in latest.items()},
    )
    await repo.insert_reviews(
        conn, cycle_code=cycle_code, reviews=new, reviewed_by=by, source=f"import:{name}", at=now()
    )
    await audit.append(
        conn,
        actor=by,
        action="reviews.imported",
        subject=f"{cycle_code}/{name}",
        payload={
            "sha256": hashlib.sha256(content).hexdigest(),
            "recorded": len(new),
            "unchanged": unchanged,
            "blank": blank,
        },
    )
    return Imported(len(new), unchanged, blank)


async def latest_inputs(
    conn, *, cycle_code: str, sa_code: str
) -> dict[tuple[str, IndicatorKey], tuple[dict[str, str], str]]:
    """(unit, indicator) -> the latest review's input as shown and its comment."""
    latest = await repo.latest_of_special_assessments(
        conn, cycle_code=cycle_code, sa_codes=[sa_code]
    )
    return {pair: (r.input, r.comment) for pair, r in latest.items()}


async def page(
    conn,
    *,
    cycle_code: str,
    unit: str,
    sa_codes: Sequence[str] | None,
    indicator: str,
    all_revisions: bool,
    after: tuple[str, str, str, int] | None,
    size: int,
) -> tuple[list[repo.ReviewRow], bool]:
    """One page of reviews and whether more follow."""
    rows = await repo.list_reviews(
        conn,
        cycle_code=cycle_code,
        unit=unit,
        sa_codes=sa_codes,
        indicator=indicator,
        all_revisions=all_revisions,
        after=after,
        limit=size + 1,
    )
    return rows[:size], len(rows) > size


async def missing(conn, *, catalogue: Catalogue, department: str) -> list[domain.Missing]:
    reviewed = await repo.reviewed_pairs(conn, cycle_code=catalogue.cycle_code)
    return domain.missing_reviews(catalogue, reviewed, department)
