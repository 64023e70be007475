"""Verification (pure): the stored rows of a run that differ from a recomputation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from services.scoring.model import Results


class StoredUnit(Protocol):
    """A unit's stored result as verification compares it (composite exact, "n/d")."""

    unit_code: str
    composite: str
    composite_e4: int
    rank: int
    tier: str
    vetoed: bool
    unreviewed: int


class StoredIndicator(Protocol):
    """A unit's stored indicator score; `adjustment` as Adjustment.to_json() wrote it."""

    unit_code: str
    sa_code: str
    indicator_code: str
    score_e4: int
    base_e4: int
    review_id: int | None
    adjustment: dict | None


def differences(
    results: Results,
    stored_units: Sequence[StoredUnit],
    stored_indicators: Sequence[StoredIndicator],
) -> list[str]:
    """Stored rows that differ from a recomputation, units first, in code order."""
    out: list[str] = []
    expected_units = {
        r.unit.code: (
            f"{r.composite.numerator}/{r.composite.denominator}",
            r.composite_e4,
            r.standing.rank,
            r.standing.tier,
            r.vetoed,
            r.unreviewed,
        )
        for r in results.units
    }
    actual_units = {
        u.unit_code: (u.composite, u.composite_e4, u.rank, u.tier, u.vetoed, u.unreviewed)
        for u in stored_units
    }
    for unit in sorted(expected_units.keys() | actual_units.keys()):
        if expected_units.get(unit) != actual_units.get(unit):
            out.append(
                f"unit {unit}: stored {actual_units.get(unit)},"
                f" recomputed {expected_units.get(unit)}"
            )
    expected = {
        (u, sa, c): (s, b, rid, a.to_json() if a else None)
        for u, sa, c, s, b, rid, a in results.indicator_rows()
    }
    actual = {
        (r.unit_code, r.sa_code, r.indicator_code): (
            r.score_e4,
            r.base_e4,
            r.review_id,
            r.adjustment,
        )
        for r in stored_indicators
    }
    if len(actual) != len(stored_indicators):
        out.append(f"indicator rows: {len(stored_indicators) - len(actual)} duplicated")
    for key in sorted(expected.keys() ^ actual.keys()):
        where = "missing from" if key in expected else "extra in"
        out.append(f"indicator {'/'.join(key)}: {where} the stored run")
    for key in sorted(k for k in expected.keys() & actual.keys() if expected[k] != actual[k]):
        out.append(f"indicator {'/'.join(key)}: stored {actual[key]}, recomputed {expected[key]}")
    return out
