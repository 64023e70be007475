"""Properties of the scoring rules over generated catalogues, reviews, ask times and claims.

`reference` below is the README read literally, one unit and indicator at a time in
Fractions: the fast column-wise computation must agree with it exactly.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.scoring.digests import inputs_digest
from services.scoring.model import (
    Catalogue,
    CycleRules,
    IndicatorRule,
    Inputs,
    SpecialAssessmentRule,
    Tier,
    UnitRef,
)
from services.scoring.numbers import E4, MICRO, days_late, round_half_up
from services.scoring.rules import compute

D0 = datetime(2026, 12, 31, 10, 0, tzinfo=UTC)
KEYS = ("k1", "k2", "k3", "k4")
KINDS = ("township", "department")
decimals = st.sampled_from(["0.5", "1", "1.5", "2", "2.5", "3", "4", "0.25", "0.3"]).map(Decimal)
shares = st.sampled_from(["0", "0.3", "0.5", "0.6", "0.8", "1"]).map(Decimal)
PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def indicator_rules(draw, sa: str, code: str) -> IndicatorRule:
    method = draw(st.sampled_from(["ratio", "grade", "checklist", "deduction", "bonus", "veto"]))
    points = (
        draw(decimals) if method in ("ratio", "grade", "checklist", "deduction") else Decimal(0)
    )
    evidence = tuple(draw(st.lists(st.sampled_from(KEYS), max_size=2, unique=True)))
    applies = tuple(draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=2, unique=True)))
    extra: dict = {}
    if method == "ratio":
        extra["target"] = draw(
            st.sampled_from(["0.9", "0.95", "0.98", "1", "0.7", "3"]).map(Decimal)
        )
    elif method == "grade":
        letters = draw(st.lists(st.sampled_from("ABCD"), min_size=1, max_size=4, unique=True))
        extra["grades"] = tuple((letter, draw(shares)) for letter in sorted(letters))
    elif method == "checklist":
        extra["items"] = draw(st.integers(1, 6))
    elif method == "deduction":
        extra["deduct_per"] = draw(decimals)
    elif method == "bonus":
        extra["max"] = draw(decimals)
    return IndicatorRule(sa, code, method, points, evidence, applies, **extra)


def judgement(rule: IndicatorRule, rnd: random.Random):
    m = rule.method
    if m in ("ratio", "deduction", "bonus"):
        return rnd.randrange(0, 3 * MICRO, 1 if rnd.random() < 0.3 else 10_000)
    if m == "grade":
        return rnd.choice([g for g, _ in rule.grades])
    if m == "checklist":
        return rnd.randint(0, rule.items)
    return rnd.random() < 0.3


@st.composite
def cities(draw) -> Inputs:
    sa_count = draw(st.integers(1, 3))
    sas = tuple(
        SpecialAssessmentRule(
            f"sa{s}", f"dept{s}", draw(st.sampled_from(["10", "15", "12.5", "40"]).map(Decimal))
        )
        for s in range(sa_count)
    )
    rules = []
    for sa in sas:
        for i in range(draw(st.integers(1, 5))):
            rules.append(draw(indicator_rules(sa.code, f"{sa.code}-i{i}")))
    units = tuple(
        UnitRef(f"u{u}", draw(st.sampled_from(KINDS)), draw(st.sampled_from(["g1", "g2"])))
        for u in range(draw(st.integers(1, 7)))
    )
    rnd = random.Random(draw(st.integers(0, 2**32)))
    ask_times = {}
    for unit in units:
        times = {}
        for key in KEYS:
            roll = rnd.random()
            if roll < 0.15:
                continue
            offset = timedelta(hours=rnd.randint(-72, 120)) if roll < 0.5 else -timedelta(days=5)
            times[key] = D0 + offset
        ask_times[unit.code] = times
    extended = {u.code: D0 + timedelta(days=rnd.randint(1, 3)) for u in units if rnd.random() < 0.2}
    reviews: dict = {}
    claims: dict = {}
    review_id = 0
    for rule in rules:
        for unit in units:
            if rnd.random() < 0.8:
                review_id += 1
                reviews.setdefault(rule.key, {})[unit.code] = (review_id, judgement(rule, rnd))
            if rnd.random() < 0.2:
                claims.setdefault(rule.key, {})[unit.code] = rnd.randint(1, 99)
    tiers = (Tier("A", draw(shares.filter(lambda s: 0 < s < 1))), Tier("B", Decimal(1)))
    cycle_rules = CycleRules(
        draw(st.sampled_from(["0", "0.1", "0.05", "0.3"]).map(Decimal)), tiers, "V"
    )
    catalogue = Catalogue("c", sas, tuple(rules), units, sha256="x")
    return Inputs(catalogue, cycle_rules, D0, extended, ask_times, reviews, claims)


# -- the README, literally ------------------------------------------------------------------


def reference_indicator(inputs: Inputs, rule: IndicatorRule, unit: str) -> Fraction:
    review = inputs.reviews.get(rule.key, {}).get(unit)
    j = review[1] if review else None
    points = Fraction(rule.points)
    m = rule.method
    if m == "ratio":
        base = min(Fraction(j or 0, MICRO) / Fraction(rule.target), 1) * points
    elif m == "grade":
        base = Fraction(dict(rule.grades)[j]) * points if j is not None else Fraction(0)
    elif m == "checklist":
        base = min(Fraction(j or 0, rule.items), 1) * points
    elif m == "deduction":
        base = max(points - Fraction(rule.deduct_per) * Fraction(j or 0, MICRO), Fraction(0))
    elif m == "bonus":
        base = min(Fraction(j or 0, MICRO), Fraction(rule.max))
    else:
        base = Fraction(0)
    times = inputs.ask_times.get(unit, {})
    if any(key not in times for key in rule.evidence):
        return Fraction(0)
    deadline = inputs.unit_deadlines.get(unit, inputs.deadline)
    late = max((days_late(times[key], deadline) for key in rule.evidence), default=0)
    lateness = min(Fraction(inputs.rules.late_penalty) * points * late, base)
    score = base - lateness
    if unit in inputs.claims.get(rule.key, {}):
        took = lateness + (points - base if m == "deduction" else 0)
        score = min(score + took, points if rule.scored else base)
    return score


def reference_composite(inputs: Inputs, unit: UnitRef) -> Fraction:
    total = Fraction(0)
    for sa in inputs.catalogue.special_assessments:
        scored = [
            r
            for r in inputs.catalogue.indicators
            if r.special_assessment == sa.code and unit.kind in r.applies_to and r.scored
        ]
        possible = sum((Fraction(r.points) for r in scored), Fraction(0))
        if possible:
            earned = sum((reference_indicator(inputs, r, unit.code) for r in scored), Fraction(0))
            total += Fraction(sa.weight) * earned / possible
    bonuses = [
        r for r in inputs.catalogue.indicators if r.method == "bonus" and unit.kind in r.applies_to
    ]
    return total + sum((reference_indicator(inputs, r, unit.code) for r in bonuses), Fraction(0))


def e4(value: Fraction) -> int:
    return round_half_up(value.numerator, value.denominator, E4)


# -- properties -----------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(cities())
def test_agrees_exactly_with_the_readme_read_literally(inputs):
    results = compute(inputs)
    for r in results.units:
        assert r.composite == reference_composite(inputs, r.unit)
    for unit, sa, code, score_e4, *_ in results.indicator_rows():
        rule = inputs.catalogue.indicator((sa, code))
        assert score_e4 == e4(reference_indicator(inputs, rule, unit)), (unit, sa, code)


@PROPERTY_SETTINGS
@given(cities())
def test_every_indicator_score_lies_between_zero_and_its_points(inputs):
    for _, sa, code, score_e4, base_e4, *_ in compute(inputs).indicator_rows():
        rule = inputs.catalogue.indicator((sa, code))
        ceiling = rule.max if rule.method == "bonus" else rule.points
        assert 0 <= score_e4 <= ceiling * E4
        assert 0 <= base_e4 <= ceiling * E4


def _score(results, unit: str, key) -> int:
    return next(s for u, sa, c, s, *_ in results.indicator_rows() if (u, (sa, c)) == (unit, key))


def _composite(results, unit: str) -> Fraction:
    return next(r.composite for r in results.units if r.unit.code == unit)


def _pairs(inputs: Inputs, method: str):
    for rule in inputs.catalogue.indicators:
        if rule.method == method:
            for unit in inputs.catalogue.units:
                if unit.kind in rule.applies_to:
                    yield rule, unit.code


def _with_review(inputs: Inputs, rule: IndicatorRule, unit: str, value) -> Inputs:
    reviews = {k: dict(v) for k, v in inputs.reviews.items()}
    reviews.setdefault(rule.key, {})[unit] = (10_000, value)
    return replace(inputs, reviews=reviews)


@PROPERTY_SETTINGS
@given(cities())
def test_more_items_met_never_lowers_a_score(inputs):
    before = compute(inputs)
    for rule, unit in _pairs(inputs, "checklist"):
        met = inputs.reviews.get(rule.key, {}).get(unit, (0, 0))[1]
        if met < rule.items:
            after = compute(_with_review(inputs, rule, unit, met + 1))
            assert _score(after, unit, rule.key) >= _score(before, unit, rule.key)
            assert _composite(after, unit) >= _composite(before, unit)


@PROPERTY_SETTINGS
@given(cities())
def test_a_better_grade_never_lowers_a_score(inputs):
    before = compute(inputs)
    for rule, unit in _pairs(inputs, "grade"):
        review = inputs.reviews.get(rule.key, {}).get(unit)
        current = dict(rule.grades)[review[1]] if review else Decimal(-1)
        for letter, share in rule.grades:
            if share >= current:
                after = compute(_with_review(inputs, rule, unit, letter))
                assert _score(after, unit, rule.key) >= _score(before, unit, rule.key)
                assert _composite(after, unit) >= _composite(before, unit)


@PROPERTY_SETTINGS
@given(cities())
def test_an_approved_claim_never_lowers_a_score(inputs):
    before = compute(inputs)
    for rule in inputs.catalogue.indicators:
        for unit in inputs.catalogue.units:
            if unit.kind not in rule.applies_to or unit.code in inputs.claims.get(rule.key, {}):
                continue
            claims = {k: dict(v) for k, v in inputs.claims.items()}
            claims.setdefault(rule.key, {})[unit.code] = 77
            after = compute(replace(inputs, claims=claims))
            assert _score(after, unit.code, rule.key) >= _score(before, unit.code, rule.key)
            assert _composite(after, unit.code) >= _composite(before, unit.code)


@PROPERTY_SETTINGS
@given(cities())
def test_ranks_are_consistent_with_composites(inputs):
    results = compute(inputs)
    for r in results.units:
        group = [o for o in results.units if o.unit.group == r.unit.group]
        better = sum(1 for o in group if o.composite_e4 > r.composite_e4)
        assert r.standing.rank == better + 1
        assert r.standing.group_size == len(group)
        if r.vetoed:
            assert r.standing.tier == "V"
    # Listed by group then rank.
    order = [(r.unit.group, r.standing.rank) for r in results.units]
    assert order == sorted(order)


@PROPERTY_SETTINGS
@given(cities(), st.randoms(use_true_random=False))
def test_recompute_is_identical_whatever_the_input_order(inputs, rnd):
    def shuffled(mapping):
        items = list(mapping.items())
        rnd.shuffle(items)
        return dict(items)

    units = list(inputs.catalogue.units)
    rnd.shuffle(units)
    reordered = replace(
        inputs,
        catalogue=replace(inputs.catalogue, units=tuple(units)),
        reviews=shuffled({k: shuffled(v) for k, v in inputs.reviews.items()}),
        claims=shuffled({k: shuffled(v) for k, v in inputs.claims.items()}),
        ask_times=shuffled({k: shuffled(v) for k, v in inputs.ask_times.items()}),
    )
    assert compute(inputs).digest() == compute(reordered).digest()
    assert inputs_digest(inputs) == inputs_digest(reordered)
