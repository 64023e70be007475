"""A request's names resolved against a cycle's frozen catalogue (pure): a unit, an indicator
that applies to it, a special assessment and its owner; NotFound or InvalidArgument naming
the request field otherwise.
"""

from __future__ import annotations

from services.common.auth import Principal, Role
from services.common.errors import InvalidArgument, NotFound
from services.scoring.model import (
    Catalogue,
    IndicatorKey,
    IndicatorRule,
    SpecialAssessmentRule,
    UnitRef,
)


def unit(catalogue: Catalogue, code: str, field: str = "unit_code") -> UnitRef:
    found = catalogue.unit(code)
    if found is None:
        raise NotFound(
            f"{field}: unit {code!r} is not assessed in cycle {catalogue.cycle_code!r}",
            "UNIT_NOT_IN_CYCLE",
            metadata={"field": field},
        )
    return found


def special_assessment(catalogue: Catalogue, code: str) -> SpecialAssessmentRule:
    found = catalogue.special_assessment(code)
    if found is None:
        raise NotFound(
            f"special_assessment_code: no special assessment {code!r}"
            f" in cycle {catalogue.cycle_code!r}",
            "SPECIAL_ASSESSMENT_NOT_FOUND",
            metadata={"field": "special_assessment_code"},
        )
    return found


def rule(
    catalogue: Catalogue, key: IndicatorKey, unit: UnitRef, field: str = "indicator_code"
) -> IndicatorRule:
    """The indicator `key`, which must apply to the unit's kind."""
    special_assessment(catalogue, key[0])
    found = catalogue.indicator(key)
    if found is None:
        raise NotFound(
            f"{field}: no indicator {key[1]!r} in special assessment {key[0]!r}",
            "INDICATOR_NOT_FOUND",
            metadata={"field": field},
        )
    if unit.kind not in found.applies_to:
        raise InvalidArgument.field(
            field, f"{key[0]}/{key[1]} does not apply to {unit.kind} units like {unit.code}"
        )
    return found


def owner(catalogue: Catalogue, sa_code: str) -> str:
    """The line department owning a special assessment of the catalogue."""
    return catalogue.special_assessment(sa_code).owner


def own_special_assessments(catalogue: Catalogue, caller: Principal) -> list[str] | None:
    """The special assessments a caller may see the reviews of (None: every one)."""
    if caller.role is not Role.ASSESSOR:
        return None
    return [s.code for s in catalogue.special_assessments if s.owner == caller.department]
