"""Tolerance claims (容错申请), pure: what a unit may file and what an assessor may decide.

A claim names one category of the cycle's tolerance catalogue and one or more of the unit's
indicators. A never-tolerated category is rejected outright. Pre-filing (事前备案) is only for
categories marked `prefiling`, and the act it covers must come after the filing date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from services.common.errors import FailedPrecondition, InvalidArgument, PermissionDenied, Violation
from services.scoring.model import Catalogue, IndicatorKey, UnitRef

MAX_DESCRIPTION = 4000
MAX_REASON = 4000


@dataclass(frozen=True, slots=True)
class ToleranceCategory:
    code: str
    name: str
    prefiling: bool = False
    never_tolerated: bool = False


@dataclass(frozen=True)
class ClaimFiling:
    """A valid claim, ready to store."""

    unit: str
    category: ToleranceCategory
    description: str
    indicators: tuple[IndicatorKey, ...]
    owners: tuple[str, ...]  # owning line department of each indicator
    prefiling: bool
    act_date: date | None


def validate_filing(
    *,
    catalogue: Catalogue,
    tolerance: Mapping[str, ToleranceCategory],
    unit_code: str,
    category: str,
    description: str,
    indicators: Sequence[IndicatorKey],
    prefiling: bool,
    act_date: str,
    today: date,
) -> ClaimFiling:
    unit = catalogue.unit(unit_code)
    if unit is None:
        raise InvalidArgument.field(
            "unit_code", f"unit {unit_code!r} is not assessed in cycle {catalogue.cycle_code!r}"
        )
    found = tolerance.get(category.strip())
    if found is None:
        known = (
            ", ".join(sorted(c for c, t in tolerance.items() if not t.never_tolerated)) or "none"
        )
        raise InvalidArgument.field(
            "category", f"unknown tolerance category {category!r} (tolerated: {known})"
        )
    if found.never_tolerated:
        raise InvalidArgument.field(
            "category",
            f"{found.code} ({found.name}) is never tolerated: a claim naming it is rejected",
        )
    description = description.strip()
    if not description:
        raise InvalidArgument.field(
            "description", "is required: say what happened and why it should be tolerated"
        )
    if len(description) > MAX_DESCRIPTION:
        raise InvalidArgument.field("description", f"is longer than {MAX_DESCRIPTION} characters")
    keys = _indicators(catalogue, unit, indicators)
    act = _act_date(act_date)
    if prefiling:
        if not found.prefiling:
            allowed = ", ".join(sorted(c for c, t in tolerance.items() if t.prefiling)) or "none"
            raise InvalidArgument.field(
                "prefiling",
                f"category {found.code} does not accept pre-filing (categories that do: {allowed})",
            )
        if act is None:
            raise InvalidArgument.field(
                "act_date", "is required for pre-filing: the date of the act (YYYY-MM-DD)"
            )
        if act <= today:
            raise InvalidArgument.field(
                "act_date",
                f"a pre-filing must come before the act: {act.isoformat()} is not after the"
                f" filing date {today.isoformat()}",
            )
    elif act is not None and act > today:
        raise InvalidArgument.field(
            "act_date",
            f"{act.isoformat()} is after the filing date {today.isoformat()}: file it as a"
            " pre-filing",
        )
    owners = tuple(catalogue.special_assessment(sa).owner for sa, _ in keys)
    return ClaimFiling(unit.code, found, description, keys, owners, prefiling, act)


def _indicators(
    catalogue: Catalogue, unit: UnitRef, indicators: Sequence[IndicatorKey]
) -> tuple[IndicatorKey, ...]:
    if not indicators:
        raise InvalidArgument.field("indicators", "name at least one indicator the claim covers")
    problems: list[Violation] = []
    seen: set[IndicatorKey] = set()
    for i, key in enumerate(indicators):
        field = f"indicators[{i}]"
        rule = catalogue.indicator(key)
        if rule is None:
            problems.append(
                Violation(
                    field, f"no indicator {key[0]}/{key[1]} in cycle {catalogue.cycle_code!r}"
                )
            )
        elif unit.kind not in rule.applies_to:
            problems.append(
                Violation(
                    field, f"{key[0]}/{key[1]} does not apply to {unit.kind} units like {unit.code}"
                )
            )
        elif key in seen:
            problems.append(Violation(field, f"{key[0]}/{key[1]} is named twice"))
        seen.add(key)
    if problems:
        if len(problems) == 1:
            raise InvalidArgument(
                str(problems[0]), "INVALID_FIELD", problems, {"field": problems[0].field}
            )
        raise InvalidArgument.many("indicators", problems)
    return tuple(indicators)


def _act_date(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidArgument.field(
            "act_date", f"must be a date YYYY-MM-DD (got {text!r})"
        ) from None


def decidable(
    pending: Sequence[tuple[IndicatorKey, str]],
    requested: Sequence[IndicatorKey],
    department: str | None,
    claim_id: int,
) -> list[IndicatorKey]:
    """Which claimed indicators a decision covers.

    `pending` lists (indicator, owner) still undecided; `department` is the assessor's (None
    for a role that may decide any). Empty `requested` means every pending one the caller owns.
    """
    owners = dict(pending)
    if not requested:
        mine = [k for k, owner in pending if department is None or owner == department]
        if not mine:
            raise FailedPrecondition(
                f"claim_id: claim {claim_id} has no pending indicator owned by line department"
                f" {department!r}",
                "NOTHING_TO_DECIDE",
                metadata={"field": "claim_id"},
            )
        return mine
    chosen: list[IndicatorKey] = []
    for i, key in enumerate(requested):
        if key not in owners:
            raise FailedPrecondition(
                f"indicators[{i}]: {key[0]}/{key[1]} is not pending in claim {claim_id}",
                "NOT_PENDING",
                metadata={"field": f"indicators[{i}]"},
            )
        if department is not None and owners[key] != department:
            raise PermissionDenied(
                f"indicators[{i}]: {key[0]}/{key[1]} belongs to line department"
                f" {owners[key]!r}, not {department!r}",
                "OTHER_DEPARTMENT",
                metadata={"field": f"indicators[{i}]"},
            )
        chosen.append(key)
    return chosen


def check_reason(reason: str, field: str = "reason") -> str:
    reason = reason.strip()
    if not reason:
        raise InvalidArgument.field(field, "is required: give the reason for the decision")
    if len(reason) > MAX_REASON:
        raise InvalidArgument.field(field, f"is longer than {MAX_REASON} characters")
    return reason
