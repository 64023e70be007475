"""The scoring rules of examples/haizhou-2026/README.md, pure (no I/O) and exact.

Every number is an exact rational. For speed at city scale (2,000 units x 600 indicators)
the rules run column by column: one indicator over all units of one kind at a time, in
integers over a common denominator per special assessment (no Decimal or Fraction in the
inner loops), so results are exact and byte-identical on recompute. Scores are stored and
shown rounded half-up to 4 decimals (the ranking precision); the composite's display
rounds the exact composite half-up to 2.

Order of an indicator's steps: the method's score ("base"); missing evidence (a needed key
never submitted) makes it 0; lateness takes late_penalty x points per started day after the
unit's deadline, counting its latest ask, floor 0; an approved tolerance claim restores what
lateness and deductions took, never above the points (missing evidence is not restored).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from operator import add

from services.scoring.model import (
    Adjustment,
    IndicatorColumn,
    IndicatorKey,
    IndicatorRule,
    Inputs,
    Results,
    ReviewRef,
    SpecialAssessmentScore,
    UnitRef,
    UnitResult,
)
from services.scoring.numbers import E4, MICRO, days_late, round_half_up
from services.scoring.tiers import rank_units

# -- compiled indicators --------------------------------------------------------------------


def _lcm(*values: int) -> int:
    return math.lcm(*values) if values else 1


def own_denominator(rule: IndicatorRule, late_penalty: Fraction) -> int:
    """The smallest denominator over which every number of this indicator is an integer."""
    points = Fraction(rule.points)
    dens = [points.denominator, (late_penalty * points).denominator]
    if rule.method == "ratio":
        dens.append((points / (MICRO * Fraction(rule.target))).denominator)
    elif rule.method == "grade":
        dens += [(Fraction(share) * points).denominator for _, share in rule.grades]
    elif rule.method == "checklist":
        dens.append((points / rule.items).denominator)
    elif rule.method == "deduction":
        dens.append((Fraction(rule.deduct_per) / MICRO).denominator)
    elif rule.method == "bonus":
        dens += [MICRO, Fraction(rule.max).denominator]
    return _lcm(*dens)


@dataclass(frozen=True, slots=True)
class _Compiled:
    """An indicator's rule as integers over `den`."""

    rule: IndicatorRule
    den: int
    full: int  # points
    per_day: int  # lateness per started day
    coef: int = 0
    cap: int = 0
    grades: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, rule: IndicatorRule, den: int, late_penalty: Fraction) -> _Compiled:
        points = Fraction(rule.points)
        full = _whole(points * den)
        per_day = _whole(late_penalty * points * den)
        m = rule.method
        if m == "ratio":
            return cls(
                rule,
                den,
                full,
                per_day,
                coef=_whole(points * den / (MICRO * Fraction(rule.target))),
            )
        if m == "grade":
            table = {
                letter: _whole(Fraction(share) * points * den) for letter, share in rule.grades
            }
            return cls(rule, den, full, per_day, grades=table)
        if m == "checklist":
            return cls(rule, den, full, per_day, coef=_whole(points * den / rule.items))
        if m == "deduction":
            return cls(
                rule, den, full, per_day, coef=_whole(Fraction(rule.deduct_per) * den / MICRO)
            )
        if m == "bonus":
            return cls(
                rule, den, full, per_day, coef=den // MICRO, cap=_whole(Fraction(rule.max) * den)
            )
        return cls(rule, den, full, per_day)

    def base(self, column: list[ReviewRef | None]) -> list[int]:
        """The method's score of each review, as integers over den (None: unreviewed)."""
        m = self.rule.method
        full, coef = self.full, self.coef
        if m == "ratio":
            return [0 if r is None else (v if (v := r[1] * coef) < full else full) for r in column]
        if m == "grade":
            table = self.grades
            return [0 if r is None else table[r[1]] for r in column]
        if m == "checklist":
            items = self.rule.items
            return [0 if r is None else (r[1] if r[1] < items else items) * coef for r in column]
        if m == "deduction":
            return [
                full if r is None else (v if (v := full - r[1] * coef) > 0 else 0) for r in column
            ]
        if m == "bonus":
            cap = self.cap
            return [0 if r is None else (v if (v := r[1] * coef) < cap else cap) for r in column]
        return [0] * len(column)


def _whole(value: Fraction) -> int:
    if value.denominator != 1:
        raise ArithmeticError(f"internal: {value} is not whole over the chosen denominator")
    return value.numerator


# -- evidence -------------------------------------------------------------------------------


@dataclass(slots=True)
class _EvidenceProblem:
    missing: list[str] = field(default_factory=list)
    late_at: datetime | None = None
    late_key: str = ""
    days_late: int = 0


def _evidence_problems(
    units: Sequence[str], indicators: Sequence[IndicatorRule], inputs: Inputs
) -> dict[IndicatorKey, dict[int, _EvidenceProblem]]:
    """Per indicator and unit position: keys never submitted and the latest late ask."""
    needs: dict[str, list[IndicatorKey]] = {}
    for rule in indicators:
        for key in rule.evidence:
            needs.setdefault(key, []).append(rule.key)
    keys = sorted(needs)
    problems: dict[IndicatorKey, dict[int, _EvidenceProblem]] = {}
    empty: Mapping[str, datetime] = {}
    needed = frozenset(keys)
    for p, unit in enumerate(units):
        times = inputs.ask_times.get(unit, empty)
        deadline = inputs.unit_deadlines.get(unit, inputs.deadline)
        missing = needed.difference(times)
        late = [(k, t) for k, t in times.items() if t > deadline and k in needed]
        if not missing and not late:
            continue
        bad = [(k, None) for k in missing] + late
        bad.sort(key=lambda kt: kt[0])  # keys in order: deterministic missing lists and ties
        for key, at in bad:
            days = 0 if at is None else days_late(at, deadline)
            for ik in needs[key]:
                problem = problems.setdefault(ik, {}).setdefault(p, _EvidenceProblem())
                if at is None:
                    problem.missing.append(key)
                elif problem.late_at is None or at > problem.late_at:
                    problem.late_at, problem.late_key, problem.days_late = at, key, days
    return problems


# -- computation ----------------------------------------------------------------------------


def compute(inputs: Inputs) -> Results:
    """Every unit's scores, ranks and tiers."""
    catalogue = inputs.catalogue
    late_penalty = Fraction(inputs.rules.late_penalty)
    kinds: dict[str, list[UnitRef]] = {}
    for unit in sorted(catalogue.units, key=lambda u: u.code):
        kinds.setdefault(unit.kind, []).append(unit)
    partial: list[tuple] = []
    columns: list[IndicatorColumn] = []
    for kind in sorted(kinds):
        kind_columns, kind_partial = _compute_kind(kind, kinds[kind], inputs, late_penalty)
        columns += kind_columns
        partial += kind_partial
    standings = rank_units(
        [
            (unit.code, unit.group, _e4(composite), vetoed)
            for unit, composite, _, _, vetoed, _ in partial
        ],
        inputs.rules,
    )
    units = [
        UnitResult(unit, composite, bonus, sas, vetoed, unreviewed, standings[unit.code])
        for unit, composite, bonus, sas, vetoed, unreviewed in partial
    ]
    units.sort(key=lambda r: (r.unit.group, r.standing.rank, r.unit.code))
    return Results(tuple(units), tuple(columns))


def _e4(value: Fraction) -> int:
    return round_half_up(value.numerator, value.denominator, E4)


def _compute_kind(kind: str, unit_refs: list[UnitRef], inputs: Inputs, late_penalty: Fraction):
    catalogue = inputs.catalogue
    units = tuple(u.code for u in unit_refs)
    n = len(units)
    position = {u: p for p, u in enumerate(units)}
    applicable = catalogue.applicable(kind)
    problems = _evidence_problems(units, applicable, inputs)

    # One denominator per special assessment (and one for bonuses) keeps sums in integers.
    dens: dict[str, int] = {}
    possible: dict[str, Fraction] = {}
    bonus_den = 1
    for rule in applicable:
        own = own_denominator(rule, late_penalty)
        if rule.scored:
            dens[rule.special_assessment] = math.lcm(dens.get(rule.special_assessment, 1), own)
            possible[rule.special_assessment] = possible.get(
                rule.special_assessment, Fraction(0)
            ) + Fraction(rule.points)
        elif rule.method == "bonus":
            bonus_den = math.lcm(bonus_den, own)

    earned: dict[str, list[int]] = {sa: [0] * n for sa in dens}
    bonus = [0] * n
    vetoed = [False] * n
    unreviewed = [0] * n
    columns: list[IndicatorColumn] = []
    empty: Mapping = {}
    for rule in applicable:
        den = dens.get(rule.special_assessment, 1) if rule.scored else bonus_den
        compiled = _Compiled.build(rule, den, late_penalty)
        reviews = inputs.reviews.get(rule.key, empty)
        column = list(map(reviews.get, units))
        nums = compiled.base(column)
        base_e4 = _column_e4(nums, den)
        score_e4 = list(base_e4)
        review_ids = [None if r is None else r[0] for r in column]
        if None in column:
            for p, r in enumerate(column):
                if r is None:
                    unreviewed[p] += 1
        if rule.method == "veto":
            for p, r in enumerate(column):
                if r is not None and r[1]:
                    vetoed[p] = True
        claimed = inputs.claims.get(rule.key)
        claims = {position[u]: c for u, c in claimed.items() if u in position} if claimed else empty
        adjustments = _adjust(compiled, nums, score_e4, problems.get(rule.key, empty), claims)
        if rule.scored:
            earned[rule.special_assessment] = list(map(add, earned[rule.special_assessment], nums))
        elif rule.method == "bonus":
            bonus = list(map(add, bonus, nums))
        columns.append(
            IndicatorColumn(rule, kind, units, score_e4, base_e4, review_ids, adjustments)
        )

    # composite = sum over s of weight_s x earned_s / possible_s + bonus, in integers over `common`.
    sa_rules = [s for s in catalogue.special_assessments if s.code in dens]
    layout = _Layout(
        tuple(s.code for s in sa_rules),
        tuple(s.weight for s in sa_rules),
        tuple(dens[s.code] for s in sa_rules),
        tuple(possible[s.code] for s in sa_rules),
    )
    factors = [Fraction(s.weight) / (dens[s.code] * possible[s.code]) for s in sa_rules]
    common = _lcm(bonus_den, *(f.denominator for f in factors))
    composite = [b * (common // bonus_den) for b in bonus]
    for s, f in zip(sa_rules, factors, strict=True):
        k = f.numerator * (common // f.denominator)
        composite = [c + e * k for c, e in zip(composite, earned[s.code], strict=True)]
    per_unit = list(zip(*(earned[s.code] for s in sa_rules), strict=True)) if sa_rules else [()] * n
    partial = [
        (
            unit,
            Fraction(composite[p], common),
            Fraction(bonus[p], bonus_den),
            _UnitSpecialAssessments(layout, per_unit[p]),
            vetoed[p],
            unreviewed[p],
        )
        for p, unit in enumerate(unit_refs)
    ]
    return columns, partial


@dataclass(frozen=True, slots=True)
class _Layout:
    """The special assessments of one unit kind, in catalogue order."""

    codes: tuple[str, ...]
    weights: tuple[Decimal, ...]
    denominators: tuple[int, ...]
    possible: tuple[Fraction, ...]


class _UnitSpecialAssessments(Sequence):
    """One unit's special assessment scores, built when read (the totals are kept as ints)."""

    __slots__ = ("_earned", "_layout")

    def __init__(self, layout: _Layout, earned: tuple[int, ...]) -> None:
        self._layout, self._earned = layout, earned

    def __len__(self) -> int:
        return len(self._earned)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        lay = self._layout
        return SpecialAssessmentScore(
            lay.codes[i], lay.weights[i], self._earned[i], lay.denominators[i], lay.possible[i]
        )


def _column_e4(nums: list[int], den: int) -> list[int]:
    if E4 % den == 0:  # den divides 10^4: exact, no rounding
        factor = E4 // den
        return [x * factor for x in nums]
    twice = 2 * den
    return [(x * 20000 + den) // twice for x in nums]


def _adjust(
    compiled: _Compiled,
    nums: list[int],
    score_e4: list[int],
    problems: Mapping[int, _EvidenceProblem],
    claims: Mapping[int, int],
) -> dict[int, Adjustment]:
    """Missing evidence, lateness and tolerance for the few units they touch (in place)."""
    adjustments: dict[int, Adjustment] = {}
    if not problems and not claims:
        return adjustments
    rule, den, full, per_day = compiled.rule, compiled.den, compiled.full, compiled.per_day
    deduction, ceiling_is_full = rule.method == "deduction", rule.scored
    twice = 2 * den
    positions = problems.keys() | claims.keys() if claims else problems.keys()
    for p in positions:
        problem = problems.get(p)
        claim = claims.get(p, 0) if claims else 0
        base = nums[p]
        lateness = restored = 0
        if problem is None:
            missing, late_key, days = (), "", 0
        else:
            missing, late_key, days = tuple(problem.missing), problem.late_key, problem.days_late
        if missing:
            score = 0
        else:
            lateness = min(per_day * days, base)
            score = base - lateness
            if claim:
                deducted = full - base if deduction else 0
                ceiling = full if ceiling_is_full else base  # never more than the points
                restored = max(min(lateness + deducted, ceiling - score), 0)
                score += restored
        nums[p] = score
        score_e4[p] = (score * 20000 + den) // twice
        adjustments[p] = Adjustment(
            missing,
            late_key,
            days,
            (lateness * 20000 + den) // twice,
            claim,
            (restored * 20000 + den) // twice,
        )
    return adjustments
