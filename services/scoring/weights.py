"""What-if weights (pure): the composites, ranks and tiers a run's stored rows would give
under other special assessment weights. Nothing is recomputed from reviews: each unit's
exact earned and possible points per special assessment and its bonus are reweighted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

from services.common.errors import InvalidArgument, Violation, shorten
from services.scoring.model import Catalogue, CycleRules, Standing
from services.scoring.numbers import (
    E4,
    bounded_decimal,
    decimal_text,
    parse_fraction,
    round_half_up,
)
from services.scoring.tiers import rank_units


def weights_with(catalogue: Catalogue, given: Mapping[str, str]) -> dict[str, Fraction]:
    """The cycle's weights with the given ones replaced; validated (known codes, >= 0,
    sum 100)."""
    weights = {s.code: Fraction(s.weight) for s in catalogue.special_assessments}
    problems: list[Violation] = []
    for code, text in sorted(given.items()):
        field = f"weights[{code}]"
        if code not in weights:
            problems.append(
                Violation(
                    field, f"no special assessment {code!r} in cycle {catalogue.cycle_code!r}"
                )
            )
            continue
        try:
            value = bounded_decimal(str(text).strip())
        except ValueError as bad:
            problems.append(Violation(field, f"{bad} (got {shorten(str(text))!r})"))
            continue
        if not value.is_finite() or value < 0:
            problems.append(Violation(field, f"must be a number >= 0 (got {text!r})"))
            continue
        weights[code] = Fraction(value)
    if problems:
        if len(problems) == 1:
            raise InvalidArgument(
                str(problems[0]), "INVALID_FIELD", problems, {"field": problems[0].field}
            )
        raise InvalidArgument.many("weights", problems)
    total = sum(weights.values(), Fraction(0))
    if total != 100:
        raise InvalidArgument.field(
            "weights", f"must sum to 100 (they sum to {decimal_text(total)})"
        )
    return weights


class StoredUnit(Protocol):
    """What a run stored of one unit that a preview needs."""

    unit_code: str
    group_code: str
    bonus: str  # exact, "n/d"
    vetoed: bool


class StoredSpecialAssessment(Protocol):
    """One unit's exact earned and possible points in one special assessment ("n/d")."""

    unit_code: str
    sa_code: str
    earned: str
    possible: str


@dataclass(frozen=True, slots=True)
class Previewed:
    composite: Fraction
    composite_e4: int
    standing: Standing


def preview(
    units: Iterable[StoredUnit],
    special_assessments: Iterable[StoredSpecialAssessment],
    weights: Mapping[str, Fraction],
    rules: CycleRules,
) -> dict[str, Previewed]:
    """unit -> its composite and standing under `weights` (sum over special assessments of
    weight x earned / possible, plus its bonus), ranked in its peer group."""
    units = list(units)
    composite = {u.unit_code: parse_fraction(u.bonus) for u in units}
    for row in special_assessments:
        possible = parse_fraction(row.possible)
        if possible:
            composite[row.unit_code] += weights[row.sa_code] * parse_fraction(row.earned) / possible
    e4 = {u: round_half_up(c.numerator, c.denominator, E4) for u, c in composite.items()}
    standings = rank_units(
        [(u.unit_code, u.group_code, e4[u.unit_code], u.vetoed) for u in units], rules
    )
    return {u: Previewed(composite[u], e4[u], standings[u]) for u in composite}
