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

import hashlib
import math
import sys
from array import array
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from operator import add

MICRO = 10**6  # review amounts (value, occurrences, claimed) are kept in millionths
E4 = 10**4
METHODS = ("ratio", "grade", "checklist", "deduction", "bonus", "veto")
SCORED = frozenset(
    {"ratio", "grade", "checklist", "deduction"}
)  # count in their special assessment
DAY = timedelta(days=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# A review's judgement in canonical form, by method: ratio value, deduction occurrences and
# bonus claimed in millionths (int); grade letter (str); checklist items met (int); veto failed (bool).
Judgement = int | str | bool
ReviewRef = tuple[int, Judgement]  # (review id, judgement)
IndicatorKey = tuple[str, str]  # (special assessment code, indicator code)


# -- inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndicatorRule:
    special_assessment: str
    code: str
    method: str
    points: Decimal
    evidence: tuple[str, ...] = ()  # canonical evidence keys
    applies_to: tuple[str, ...] = ()  # unit kinds
    target: Decimal | None = None
    grades: tuple[tuple[str, Decimal], ...] = ()
    items: int | None = None
    deduct_per: Decimal | None = None
    max: Decimal | None = None

    @property
    def key(self) -> IndicatorKey:
        return (self.special_assessment, self.code)

    @property
    def scored(self) -> bool:
        """Counts in its special assessment's points (bonus and veto do not)."""
        return self.method in SCORED


@dataclass(frozen=True, slots=True)
class SpecialAssessmentRule:
    code: str
    owner: str  # line department whose assessors review it
    weight: Decimal


@dataclass(frozen=True, slots=True)
class UnitRef:
    code: str
    kind: str
    group: str


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    top_share: Decimal


@dataclass(frozen=True)
class CycleRules:
    late_penalty: Decimal
    tiers: tuple[Tier, ...]  # best first; the last has top_share 1
    veto_tier: str


@dataclass(frozen=True)
class Catalogue:
    """A folded cycle's frozen catalogue, as the rules need it."""

    cycle_code: str
    special_assessments: tuple[SpecialAssessmentRule, ...]
    indicators: tuple[IndicatorRule, ...]
    units: tuple[UnitRef, ...]
    sha256: str = ""
    _index: dict = field(default_factory=dict, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index["indicators"] = {i.key: i for i in self.indicators}
        self._index["special_assessments"] = {s.code: s for s in self.special_assessments}
        self._index["units"] = {u.code: u for u in self.units}

    def indicator(self, key: IndicatorKey) -> IndicatorRule | None:
        return self._index["indicators"].get(key)

    def special_assessment(self, code: str) -> SpecialAssessmentRule | None:
        return self._index["special_assessments"].get(code)

    def unit(self, code: str) -> UnitRef | None:
        return self._index["units"].get(code)

    def applicable(self, kind: str) -> list[IndicatorRule]:
        """The indicators that apply to units of `kind`, in catalogue order."""
        by_kind = self._index.setdefault("by_kind", {})
        if kind not in by_kind:
            by_kind[kind] = [i for i in self.indicators if kind in i.applies_to]
        return list(by_kind[kind])


@dataclass(frozen=True)
class Inputs:
    """Everything the scores are a function of."""

    catalogue: Catalogue
    rules: CycleRules
    deadline: datetime  # the cycle's evidence deadline
    unit_deadlines: Mapping[str, datetime]  # extended units only
    ask_times: Mapping[str, Mapping[str, datetime]]  # unit -> canonical key -> first submission
    reviews: Mapping[IndicatorKey, Mapping[str, ReviewRef]]  # latest review per unit
    claims: Mapping[IndicatorKey, Mapping[str, int]]  # unit -> approved claim id


# -- results --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Adjustment:
    """What happened to one indicator score after its method: the explanation's evidence."""

    missing: tuple[str, ...] = ()  # needed keys never submitted
    late_key: str = ""  # the latest ask, when after the deadline
    days_late: int = 0  # started days after the deadline
    lateness_e4: int = 0  # points lateness took
    claim_id: int = 0  # approved tolerance claim
    restored_e4: int = 0  # points the claim restored

    def as_tuple(self) -> tuple:
        return (
            self.missing,
            self.late_key,
            self.days_late,
            self.lateness_e4,
            self.claim_id,
            self.restored_e4,
        )

    def to_json(self) -> dict:
        out: dict = {}
        if self.missing:
            out["missing"] = list(self.missing)
        if self.late_key:
            out.update(
                late_key=self.late_key, days_late=self.days_late, lateness_e4=self.lateness_e4
            )
        if self.claim_id:
            out.update(claim_id=self.claim_id, restored_e4=self.restored_e4)
        return out

    @classmethod
    def from_json(cls, value: Mapping | None) -> Adjustment | None:
        if not value:
            return None
        return cls(
            missing=tuple(value.get("missing", ())),
            late_key=value.get("late_key", ""),
            days_late=value.get("days_late", 0),
            lateness_e4=value.get("lateness_e4", 0),
            claim_id=value.get("claim_id", 0),
            restored_e4=value.get("restored_e4", 0),
        )


@dataclass(frozen=True, slots=True)
class IndicatorColumn:
    """One indicator's scores for every unit of one kind (positions follow `units`)."""

    rule: IndicatorRule
    kind: str
    units: tuple[str, ...]
    score_e4: list[int]
    base_e4: list[int]  # the method's score, before missing evidence, lateness and tolerance
    review_ids: list[int | None]
    adjustments: dict[int, Adjustment]


@dataclass(frozen=True, slots=True)
class SpecialAssessmentScore:
    code: str
    weight: Decimal
    earned_numerator: int  # sum of its indicators' scores, over `denominator`
    denominator: int
    possible: Fraction  # sum of their points

    @property
    def earned(self) -> Fraction:
        return Fraction(self.earned_numerator, self.denominator)

    @property
    def score(self) -> Fraction:
        """weight x earned / possible."""
        if not self.possible:
            return Fraction(0)
        return Fraction(self.weight) * self.earned / self.possible

    @property
    def score_e4(self) -> int:
        s = self.score
        return round_half_up(s.numerator, s.denominator, E4)


@dataclass(frozen=True, slots=True)
class Standing:
    rank: int
    group_size: int
    tier: str


@dataclass(frozen=True, slots=True)
class UnitResult:
    unit: UnitRef
    composite: Fraction
    bonus: Fraction
    special_assessments: Sequence[SpecialAssessmentScore]
    vetoed: bool
    unreviewed: int
    standing: Standing

    @property
    def composite_e4(self) -> int:
        return round_half_up(self.composite.numerator, self.composite.denominator, E4)


@dataclass(frozen=True)
class Results:
    units: tuple[UnitResult, ...]  # by group, rank, code
    columns: tuple[IndicatorColumn, ...]

    @property
    def indicator_scores(self) -> int:
        return sum(len(c.units) for c in self.columns)

    def indicator_rows(self) -> Iterator[tuple]:
        """(unit, special assessment, indicator, score_e4, base_e4, review id, adjustment or None)."""
        for col in self.columns:
            sa, code, adjustments = col.rule.special_assessment, col.rule.code, col.adjustments
            for p, (unit, score, base, review) in enumerate(
                zip(col.units, col.score_e4, col.base_e4, col.review_ids, strict=True)
            ):
                yield (unit, sa, code, score, base, review, adjustments.get(p))

    def digest(self) -> str:
        """sha256 of the canonical results: equal for equal inputs, on any machine."""
        h = hashlib.sha256(b"oneassess.scoring.results.v1\n")
        for col in self.columns:
            h.update(
                f"{col.rule.special_assessment}/{col.rule.code}|{col.kind}|{len(col.units)}\n".encode()
            )
            h.update("\x1f".join(col.units).encode())
            h.update(_int64s(col.score_e4))
            h.update(_int64s(col.base_e4))
            h.update(_int64s([-1 if r is None else r for r in col.review_ids]))
            if col.adjustments:
                h.update(
                    "".join(
                        f"{p}:{col.adjustments[p].as_tuple()}\n" for p in sorted(col.adjustments)
                    ).encode()
                )
        for r in self.units:
            h.update(
                f"{r.unit.code}|{r.unit.group}|{fraction_text(r.composite)}|{fraction_text(r.bonus)}|"
                f"{r.vetoed}|{r.unreviewed}|{r.standing.rank}|{r.standing.group_size}|{r.standing.tier}\n".encode()
            )
            for s in r.special_assessments:
                h.update(
                    f"  {s.code}|{s.weight}|{fraction_text(s.earned)}|{fraction_text(s.possible)}\n".encode()
                )
        return h.hexdigest()


def _int64s(values: Sequence[int]) -> bytes:
    packed = array("q", values)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


# -- numbers --------------------------------------------------------------------------------


def round_half_up(numerator: int, denominator: int, scale: int) -> int:
    """numerator/denominator rounded half-up to 1/scale, as an integer count of 1/scale (>= 0 inputs)."""
    return (2 * numerator * scale + denominator) // (2 * denominator)


def format_scaled(value: int, places: int) -> str:
    """An integer count of 10^-places as a decimal string: (38776, 4) -> '3.8776'."""
    sign = "-" if value < 0 else ""
    whole, frac = divmod(abs(value), 10**places)
    return f"{sign}{whole}.{frac:0{places}d}" if places else f"{sign}{whole}"


def format_e4(value: int) -> str:
    return format_scaled(value, 4)


def rounded(value: Fraction, places: int) -> str:
    """An exact value rounded half-up to `places` decimals, as a string."""
    return format_scaled(round_half_up(value.numerator, value.denominator, 10**places), places)


def fraction_text(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def parse_fraction(text: str) -> Fraction:
    numerator, _, denominator = text.partition("/")
    return Fraction(int(numerator), int(denominator or 1))


def decimal_text(value: Decimal | Fraction | int) -> str:
    """A catalogue parameter as people write it: 4, 0.98, 2.5."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    text = format(Decimal(value).normalize(), "f")
    return text


def micro_text(amount: int) -> str:
    """Millionths as a decimal string without trailing zeros: 950000 -> '0.95'."""
    return decimal_text(Decimal(amount).scaleb(-6))


def days_late(at: datetime, deadline: datetime) -> int:
    """Started days after the deadline: one second late is one day; on time is 0."""
    if at <= deadline:
        return 0
    micros = (at - deadline) // timedelta(microseconds=1)
    return -(-micros // (DAY // timedelta(microseconds=1)))


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


# -- ranking and tiers ----------------------------------------------------------------------


def tier_cutoffs(group_size: int, tiers: Sequence[Tier]) -> list[tuple[str, int]]:
    """(tier, worst rank in it): top_share x group size, rounded up (exactly: 0.3 x 10 = 3)."""
    cutoffs = []
    for tier in tiers:
        share = Fraction(tier.top_share)
        cutoffs.append((tier.name, -(-share.numerator * group_size // share.denominator)))
    return cutoffs


def tier_for(rank: int, group_size: int, rules: CycleRules, vetoed: bool) -> str:
    if vetoed:
        return rules.veto_tier
    for name, cutoff in tier_cutoffs(group_size, rules.tiers):
        if cutoff >= rank:
            return name
    return rules.tiers[-1].name if rules.tiers else ""


def competition_ranks(composites_e4: Sequence[int]) -> list[int]:
    """Ranks of composites (descending); equal ones share a rank: 1, 2, 2, 4."""
    order = sorted(range(len(composites_e4)), key=lambda i: -composites_e4[i])
    ranks = [0] * len(composites_e4)
    for place, i in enumerate(order, start=1):
        if place > 1 and composites_e4[i] == composites_e4[order[place - 2]]:
            ranks[i] = ranks[order[place - 2]]
        else:
            ranks[i] = place
    return ranks


def rank_units(
    entries: Sequence[tuple[str, str, int, bool]], rules: CycleRules
) -> dict[str, Standing]:
    """(unit, group, composite_e4, vetoed) -> each unit's rank, group size and tier."""
    groups: dict[str, list[tuple[str, int, bool]]] = {}
    for unit, group, composite_e4, vetoed in entries:
        groups.setdefault(group, []).append((unit, composite_e4, vetoed))
    standings: dict[str, Standing] = {}
    for members in groups.values():
        ranks = competition_ranks([c for _, c, _ in members])
        size = len(members)
        for (unit, _, vetoed), rank in zip(members, ranks, strict=True):
            standings[unit] = Standing(rank, size, tier_for(rank, size, rules, vetoed))
    return standings


# -- input digest ---------------------------------------------------------------------------


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def inputs_digest(inputs: Inputs) -> str:
    """sha256 of the canonical inputs: equal inputs give an equal digest, whatever their order."""
    h = hashlib.sha256(b"oneassess.scoring.inputs.v1\n")
    rules = inputs.rules
    h.update(f"catalogue|{inputs.catalogue.cycle_code}|{inputs.catalogue.sha256}\n".encode())
    for s in inputs.catalogue.special_assessments:
        h.update(f"sa|{s.code}|{s.owner}|{s.weight}\n".encode())
    for i in inputs.catalogue.indicators:
        h.update(f"ind|{i!r}\n".encode())
    for u in sorted(inputs.catalogue.units, key=lambda u: u.code):
        h.update(f"unit|{u.code}|{u.kind}|{u.group}\n".encode())
    h.update(
        f"rules|{rules.late_penalty}|{[(t.name, str(t.top_share)) for t in rules.tiers]}|{rules.veto_tier}\n".encode()
    )
    h.update(
        f"asks|{asks_digest(inputs.deadline, inputs.unit_deadlines, inputs.ask_times)}\n".encode()
    )
    units = sorted(u.code for u in inputs.catalogue.units)  # reviews of other units are not used
    for key in sorted(inputs.reviews):
        column = list(map(inputs.reviews[key].get, units))
        h.update(f"\nreviews|{key[0]}/{key[1]}|".encode())
        h.update(_int64s([-1 if r is None else r[0] for r in column]))
        h.update("\x1f".join(["" if r is None else str(r[1]) for r in column]).encode())
    for key in sorted(inputs.claims):
        claims = inputs.claims[key]
        h.update(f"\nclaims|{key[0]}/{key[1]}|{sorted(claims.items())}".encode())
    return h.hexdigest()


def asks_digest(
    deadline: datetime,
    unit_deadlines: Mapping[str, datetime],
    ask_times: Mapping[str, Mapping[str, datetime]],
) -> str:
    """sha256 of the submission times and deadlines (the ask snapshot a run used)."""
    h = hashlib.sha256(b"oneassess.scoring.asks.v1\n")
    h.update(f"deadline|{_instant(deadline)}\n".encode())
    for unit in sorted(unit_deadlines):
        h.update(f"extended|{unit}|{_instant(unit_deadlines[unit])}\n".encode())
    micro = timedelta(microseconds=1)
    for unit in sorted(ask_times):
        times = ask_times[unit]
        keys = sorted(times)
        h.update(f"asks|{unit}|{len(keys)}|".encode())
        h.update("\x1f".join(keys).encode())
        h.update(
            _int64s([(times[k] - EPOCH) // micro for k in keys])
        )  # microseconds since 1970, UTC
    return h.hexdigest()
