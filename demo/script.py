"""Who does what in the demo year, decided up front from the sample city (pure, seeded).

The script is data: which unit submits what when, who is late, who never submits, who asks
for an extension, each assessor's reviews (with a tie and a veto), the tolerance claim and
the appeal. The driver (run.py) plays it against the real services and workflows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

# Submission behaviours; each names when a unit's asks arrive.
EARLY = "early"  # everything as collection opens: never reminded
STEADY = "steady"  # half at once, the rest after the first reminder
LATE = "late"  # most on time, a few after the deadline (before the lock)
EXTENDED = "extended"  # asks for more time, sends the rest after the deadline but within it
NEVER = "never"  # nothing at all: the whole escalation ladder


@dataclass(frozen=True)
class UnitPlan:
    unit: str
    group: str
    behaviour: str
    twin_of: str = ""  # same reviews and behaviour as another unit: a tie


@dataclass(frozen=True)
class ReviewValue:
    value: float | None = None
    grade: str | None = None
    items_met: int | None = None
    occurrences: float | None = None
    claimed: float | None = None
    failed: bool | None = None


@dataclass
class DemoScript:
    units: list[UnitPlan]
    late_keys: int = 3  # asks a late or extended unit sends after the deadline
    extension_days: int = 5
    veto_unit: str = ""
    veto_indicator: tuple[str, str] = ("", "")
    claim_unit: str = ""
    claim_indicators: list[tuple[str, str]] = field(default_factory=list)
    appeal_unit: str = ""
    appeal_indicator: tuple[str, str] = ("", "")

    def plan_of(self, unit: str) -> UnitPlan:
        return next(p for p in self.units if p.unit == unit)

    def by_behaviour(self, behaviour: str) -> list[str]:
        return [p.unit for p in self.units if p.behaviour == behaviour]


def make_script(units: list[tuple[str, str, str]], seed: int = 2026) -> DemoScript:
    """units: (code, kind, group) in a stable order. Picks roles deterministically."""
    rng = random.Random(seed)
    by_group: dict[str, list[str]] = {}
    for code, _, group in units:
        by_group.setdefault(group, []).append(code)
    groups = sorted(by_group, key=lambda g: (-len(by_group[g]), g))
    # A tie: the first two units of the largest group behave and are reviewed identically.
    tie_a, tie_b = by_group[groups[0]][:2]
    others = [code for code, _, _ in units if code not in (tie_a, tie_b)]
    rng.shuffle(others)
    roles = {tie_a: EARLY, tie_b: EARLY}
    never, late1, late2, extended = others[:4]
    roles.update({never: NEVER, late1: LATE, late2: LATE, extended: EXTENDED})
    for i, code in enumerate(others[4:]):
        roles[code] = EARLY if i % 3 == 0 else STEADY
    plans = [
        UnitPlan(code, group, roles[code], twin_of=tie_a if code == tie_b else "")
        for code, _, group in units
    ]
    veto_candidates = [p.unit for p in plans if p.behaviour == STEADY]
    return DemoScript(
        units=plans,
        veto_unit=veto_candidates[0] if veto_candidates else "",
        claim_unit=late1,
        appeal_unit=veto_candidates[1] if len(veto_candidates) > 1 else late2,
    )


def review_for(
    method: str, unit: str, indicator: str, *, items: int | None, grades: list[str], seed: int
) -> ReviewValue:
    """A plausible review, stable for (unit, indicator, seed): most units do well, some less so."""
    rng = random.Random(f"{seed}/{unit}/{indicator}")
    if method == "ratio":
        return ReviewValue(value=round(rng.uniform(0.82, 1.0), 3))
    if method == "grade":
        return ReviewValue(
            grade=rng.choices(grades[:3] or grades, weights=[5, 3, 1][: len(grades[:3])])[0]
        )
    if method == "checklist":
        n = items or 1
        return ReviewValue(items_met=max(n - rng.choice([0, 0, 1, 1, 2]), 0))
    if method == "deduction":
        return ReviewValue(occurrences=rng.choice([0, 0, 0, 1, 2]))
    if method == "bonus":
        return ReviewValue(claimed=rng.choice([0, 0, 0.5, 1]))
    return ReviewValue(failed=False)
