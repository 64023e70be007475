"""Tolerance claims: file one, decide claimed indicators, list them."""

from __future__ import annotations

from collections.abc import Sequence

from services.common import audit
from services.common.errors import PermissionDenied
from services.scoring.claims import ClaimFiling, decidable
from services.scoring.model import IndicatorKey
from services.scoring.repository import claims as repo
from services.scoring.repository import lock_cycle
from services.scoring.usecases import guard_unpublished


async def file(conn, *, cycle_code: str, filing: ClaimFiling, by: str) -> repo.ClaimRow:
    """Store a validated claim while the scores are unpublished."""
    await lock_cycle(conn, cycle_code=cycle_code)
    await guard_unpublished(conn, cycle_code=cycle_code)
    claim_id = await repo.insert_claim(conn, cycle_code=cycle_code, filing=filing, filed_by=by)
    claim = await repo.get_claim(conn, cycle_code=cycle_code, claim_id=claim_id)
    await audit.append(
        conn,
        actor=by,
        action="claim.filed",
        subject=f"{cycle_code}/claim/{claim_id}",
        payload={
            "unit": filing.unit,
            "category": filing.category.code,
            "indicators": [f"{sa}/{code}" for sa, code in filing.indicators],
            "prefiling": filing.prefiling,
            "act_date": filing.act_date.isoformat() if filing.act_date else "",
        },
    )
    return claim


async def decide(
    conn,
    *,
    cycle_code: str,
    claim_id: int,
    approved: bool,
    reason: str,
    requested: Sequence[IndicatorKey],
    department: str | None,
    by: str,
) -> repo.ClaimRow:
    """Approve or reject the requested pending indicators (every pending one the department
    owns when none is requested); `department` None decides for any owner."""
    await lock_cycle(conn, cycle_code=cycle_code)
    await guard_unpublished(conn, cycle_code=cycle_code)
    claim = await repo.get_claim(conn, cycle_code=cycle_code, claim_id=claim_id)
    if department is not None and all(i.owner != department for i in claim.indicators):
        raise PermissionDenied(
            f"claim_id: claim {claim.id} names no indicator of line department {department!r}",
            "OTHER_DEPARTMENT",
            metadata={"field": "claim_id"},
        )
    pending = [(i.key, i.owner) for i in claim.indicators if i.approved is None]
    chosen = decidable(pending, requested, department, claim.id)
    await repo.insert_decisions(
        conn, claim_id=claim.id, keys=chosen, approved=approved, reason=reason, decided_by=by
    )
    await audit.append(
        conn,
        actor=by,
        action="claim.approved" if approved else "claim.rejected",
        subject=f"{cycle_code}/claim/{claim.id}",
        payload={"indicators": [f"{sa}/{code}" for sa, code in chosen], "reason": reason},
    )
    return await repo.get_claim(conn, cycle_code=cycle_code, claim_id=claim.id)


async def page(
    conn, *, cycle_code: str, unit: str, owner: str, state: str, after: int, size: int
) -> tuple[list[repo.ClaimRow], bool]:
    """One page of claims by id and whether more follow."""
    rows = await repo.claims(
        conn,
        cycle_code=cycle_code,
        unit=unit,
        owner=owner,
        state=state,
        after=after,
        limit=size + 1,
    )
    return rows[:size], len(rows) > size
