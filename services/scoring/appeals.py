"""Appeals (申诉), pure: when a unit may appeal, and what an adjustment recomputes.

An adjusted appeal makes a new published run from exactly the appealed run's recipe plus the
adjusted review (reviews recorded since that run was computed stay out of published
results). The new run stores detail rows for the units whose results changed; the others
point at the run holding theirs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from services.common.errors import FailedPrecondition
from services.scoring.model import Results
from services.scoring.numbers import fraction_text


@dataclass(frozen=True, slots=True)
class Window:
    """The appeal window of a cycle's latest run."""

    cycle_code: str
    published_at: datetime | None
    appeal_deadline: datetime | None
    finalized_at: datetime | None


def check_open(window: Window, now: datetime) -> None:
    """Appeals are filed after publication, until the appeal deadline, before finalisation."""
    if window.published_at is None:
        raise FailedPrecondition(
            f"cycle_code: the scores of cycle {window.cycle_code!r} are not published yet;"
            " appeals open at publication",
            "NOT_PUBLISHED",
            metadata={"field": "cycle_code"},
        )
    if window.finalized_at is not None:
        raise FailedPrecondition(
            f"cycle_code: the scores of cycle {window.cycle_code!r} are final; no more appeals",
            "FINALIZED",
            metadata={"field": "cycle_code"},
        )
    if window.appeal_deadline is not None and now > window.appeal_deadline:
        raise FailedPrecondition(
            f"cycle_code: the appeal window of cycle {window.cycle_code!r} closed at"
            f" {window.appeal_deadline.isoformat()}",
            "APPEAL_WINDOW_CLOSED",
            metadata={"field": "cycle_code"},
        )


def recipe_with_review(recipe: Mapping[str, Any], review_id: int) -> dict[str, Any]:
    """A run's recipe plus one adjusted review, put over the unit's latest after the others."""
    return {**recipe, "appeal_reviews": [*recipe.get("appeal_reviews", []), review_id]}


class StoredResult(Protocol):
    """What the appealed run stored of one unit."""

    composite: str  # exact, "n/d"
    unreviewed: int
    vetoed: bool
    detail_run_id: int


def changed_units(
    results: Results, stored: Mapping[str, StoredResult], appealed_unit: str
) -> set[str]:
    """The appealed unit and every unit whose exact composite, unreviewed count or veto differ
    from what the appealed run stored (or that it lacks)."""
    changed = {appealed_unit}
    for r in results.units:
        before = stored.get(r.unit.code)
        if before is None or (before.composite, before.unreviewed, before.vetoed) != (
            fraction_text(r.composite),
            r.unreviewed,
            r.vetoed,
        ):
            changed.add(r.unit.code)
    return changed


def detail_runs(stored: Mapping[str, StoredResult], changed: set[str]) -> dict[str, int]:
    """unit -> the run holding its detail, for the units left unchanged."""
    return {u: r.detail_run_id for u, r in stored.items() if u not in changed}
