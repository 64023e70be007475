"""A unit's scorecard (pure): its stored rows in catalogue order, each number with the steps
that explain it (rendered by explain.py from what the run stored and the review scored).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from services.scoring.explain import (
    Step,
    composite_step,
    indicator_steps,
    ranking_step,
    special_assessment_step,
)
from services.scoring.model import Adjustment, Catalogue, CycleRules, IndicatorRule, Judgement
from services.scoring.numbers import E4, decimal_text, parse_fraction, round_half_up, rounded


class StoredUnit(Protocol):
    group_code: str
    composite: str  # exact, "n/d"
    composite_e4: int
    bonus: str  # exact, "n/d"
    rank: int
    group_size: int
    tier: str
    vetoed: bool


class StoredSpecialAssessment(Protocol):
    sa_code: str
    weight: str
    earned: str  # exact, "n/d"
    possible: str  # exact, "n/d"
    score_e4: int


class StoredIndicator(Protocol):
    sa_code: str
    indicator_code: str
    score_e4: int
    base_e4: int
    review_id: int | None
    adjustment: dict | None


@dataclass(frozen=True)
class ScoredReview:
    """The review revision a run scored."""

    revision: int
    judgement: Judgement


@dataclass(frozen=True)
class IndicatorCard:
    rule: IndicatorRule
    score_e4: int
    review_revision: int  # 0: unreviewed
    steps: list[Step]


@dataclass(frozen=True)
class SpecialAssessmentCard:
    code: str
    score_e4: int
    step: Step


@dataclass(frozen=True)
class Scorecard:
    indicators: list[IndicatorCard]
    special_assessments: list[SpecialAssessmentCard]
    composite: Step
    ranking: Step


LAST = 1 << 30  # rows the catalogue no longer lists sort last


def scorecard(
    catalogue: Catalogue,
    rules: CycleRules,
    score: StoredUnit,
    sa_rows: Sequence[StoredSpecialAssessment],
    indicator_rows: Sequence[StoredIndicator],
    reviews: Mapping[int, ScoredReview],
) -> Scorecard:
    """Every stored number of one unit with its explanation, in catalogue order."""
    order = {rule.key: i for i, rule in enumerate(catalogue.indicators)}
    indicators = []
    for row in sorted(indicator_rows, key=lambda r: order.get((r.sa_code, r.indicator_code), LAST)):
        rule = catalogue.indicator((row.sa_code, row.indicator_code))
        review = reviews.get(row.review_id) if row.review_id else None
        steps = indicator_steps(
            rule,
            review.judgement if review else None,
            base_e4=row.base_e4,
            score_e4=row.score_e4,
            adjustment=Adjustment.from_json(row.adjustment),
            rules=rules,
        )
        indicators.append(
            IndicatorCard(rule, row.score_e4, review.revision if review else 0, steps)
        )
    sa_order = {s.code: i for i, s in enumerate(catalogue.special_assessments)}
    special_assessments = []
    for row in sorted(sa_rows, key=lambda r: sa_order.get(r.sa_code, LAST)):
        earned = parse_fraction(row.earned)
        step = special_assessment_step(
            row.sa_code,
            Decimal(row.weight),
            round_half_up(earned.numerator, earned.denominator, E4),
            decimal_text(parse_fraction(row.possible)),
            row.score_e4,
        )
        special_assessments.append(SpecialAssessmentCard(row.sa_code, row.score_e4, step))
    bonus = parse_fraction(score.bonus)
    return Scorecard(
        indicators,
        special_assessments,
        composite_step(
            [(s.code, s.score_e4) for s in special_assessments],
            round_half_up(bonus.numerator, bonus.denominator, E4),
            score.composite_e4,
            rounded(parse_fraction(score.composite), 2),
        ),
        ranking_step(
            group=score.group_code,
            group_size=score.group_size,
            rank=score.rank,
            composite_e4=score.composite_e4,
            tier=score.tier,
            vetoed=score.vetoed,
            rules=rules,
        ),
    )
