"""What the scoring rules read and write (pure): the frozen catalogue and cycle rules, the
inputs a run is a function of, and its results with their digest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from services.scoring.numbers import E4, fraction_text, int64s, round_half_up

# Methods whose indicators count in their special assessment's points (bonus and veto do not).
SCORED = frozenset({"ratio", "grade", "checklist", "deduction"})

# A review's judgement in canonical form, by method: ratio value, deduction occurrences and
# bonus claimed in millionths (int); grade letter (str); checklist items met (int); veto
# failed (bool).
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
        """(unit, special assessment, indicator, score_e4, base_e4, review id, adjustment or
        None)."""
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
            h.update(int64s(col.score_e4))
            h.update(int64s(col.base_e4))
            h.update(int64s([-1 if r is None else r for r in col.review_ids]))
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
                    f"  {s.code}|{s.weight}|{fraction_text(s.earned)}|"
                    f"{fraction_text(s.possible)}\n".encode()
                )
        return h.hexdigest()
