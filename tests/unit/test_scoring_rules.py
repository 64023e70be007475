"""The scoring rules (services/scoring/rules.py): a hand-worked scorecard, then properties.

The hand-worked group (README rules, late_penalty 0.1, tiers 优秀 0.3 / 良好 0.8 / 一般 1.0,
veto tier 较差) has four units of one peer group; A and B are worked by hand below, C and D
make a tie that only exists at 4 decimals.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

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
from services.scoring.numbers import MICRO, days_late, format_e4, rounded
from services.scoring.rules import compute
from services.scoring.tiers import competition_ranks, tier_cutoffs

D0 = datetime(2026, 12, 31, 10, 0, tzinfo=UTC)  # the cycle's evidence deadline
RULES = CycleRules(
    Decimal("0.1"),
    (Tier("优秀", Decimal("0.3")), Tier("良好", Decimal("0.8")), Tier("一般", Decimal("1.0"))),
    "较差",
)
GRADES = (
    ("A", Decimal("1.0")),
    ("B", Decimal("0.8")),
    ("C", Decimal("0.6")),
    ("D", Decimal("0.3")),
)
TOWNSHIP = ("township",)

WS = SpecialAssessmentRule("work-safety", "emergency-bureau", Decimal(60))
DR = SpecialAssessmentRule("digital-reform", "data-bureau", Decimal(40))
INDICATORS = (
    IndicatorRule(
        "work-safety", "ws-01", "checklist", Decimal(3), ("responsibility-list",), TOWNSHIP, items=4
    ),
    IndicatorRule(
        "work-safety",
        "ws-02",
        "ratio",
        Decimal(4),
        ("rectification-ledger",),
        TOWNSHIP,
        target=Decimal("0.98"),
    ),
    IndicatorRule(
        "work-safety", "ws-04", "grade", Decimal(2), ("drill-records",), TOWNSHIP, grades=GRADES
    ),
    IndicatorRule(
        "work-safety",
        "ws-06",
        "deduction",
        Decimal(2),
        ("annual-work-summary",),
        TOWNSHIP,
        deduct_per=Decimal(1),
    ),
    IndicatorRule("work-safety", "ws-07", "veto", Decimal(0), (), TOWNSHIP),
    IndicatorRule(
        "digital-reform",
        "dr-01",
        "ratio",
        Decimal(5),
        ("annual-work-summary", "digital-plan"),
        TOWNSHIP,
        target=Decimal("0.9"),
    ),
    IndicatorRule("digital-reform", "dr-02", "bonus", Decimal(0), (), TOWNSHIP, max=Decimal(1)),
)
KEYS = (
    "responsibility-list",
    "rectification-ledger",
    "drill-records",
    "annual-work-summary",
    "digital-plan",
)
UNITS = tuple(
    UnitRef(code, "township", "urban-street")
    for code in ("a-street", "b-street", "c-street", "d-street")
)


def on_time() -> dict[str, datetime]:
    return {key: D0 - timedelta(days=3) for key in KEYS}


def hand_worked_inputs() -> Inputs:
    a_deadline = D0 + timedelta(days=2)  # A was granted a two-day extension
    ask_times = {
        "a-street": {
            **on_time(),
            "rectification-ledger": a_deadline + timedelta(days=2, hours=1),  # 3 started days late
            "drill-records": D0
            + timedelta(days=1),  # after the cycle's deadline, within A's extension
            "annual-work-summary": a_deadline + timedelta(hours=12),  # 1 started day late
            "digital-plan": a_deadline
            + timedelta(hours=36),  # 2 started days late: dr-01's latest ask
        },
        "b-street": {
            k: t for k, t in on_time().items() if k != "annual-work-summary"
        },  # never submitted
        "c-street": on_time(),
        "d-street": on_time(),
    }
    m = MICRO
    judgements = {
        # unit:        ws-01  ws-02         ws-04  ws-06   ws-07  dr-01           dr-02
        "a-street": (3, 95 * m // 100, "B", 1 * m, False, 9 * m // 10, m // 2),
        "b-street": (None, 1 * m, "A", 0, True, 95 * m // 100, None),
        "c-street": (4, 98 * m // 100, "A", 0, False, 9 * m // 10, None),
        "d-street": (4, 98 * m // 100, "A", 0, False, 899999, None),
    }
    reviews: dict = {ind.key: {} for ind in INDICATORS}
    review_id = 0
    for unit, values in judgements.items():
        for ind, value in zip(INDICATORS, values, strict=True):
            if value is not None:
                review_id += 1
                reviews[ind.key][unit] = (review_id, value)
    claims = {("work-safety", "ws-06"): {"a-street": 11, "b-street": 12}}
    catalogue = Catalogue("haizhou-2026", (WS, DR), INDICATORS, UNITS, sha256="test")
    return Inputs(catalogue, RULES, D0, {"a-street": a_deadline}, ask_times, reviews, claims)


def scores_of(results, unit: str) -> dict[str, str]:
    return {
        code: format_e4(score) for u, _, code, score, *_ in results.indicator_rows() if u == unit
    }


def unit_result(results, unit: str):
    return next(r for r in results.units if r.unit.code == unit)


def test_unit_a_late_asks_an_extension_and_an_approved_claim():
    results = compute(hand_worked_inputs())
    # ws-01 checklist: min(3 / 4, 1) x 3 = 2.25
    # ws-02 ratio: min(0.95 / 0.98, 1) x 4 = 190/49 = 3.877551...; the ledger came 2 days 1 hour
    #       after A's extended deadline = 3 started days: - 0.1 x 4 x 3 = 1.2
    #       -> 656/245 = 2.677551 -> 2.6776
    # ws-04 grade B: 0.8 x 2 = 1.6 (drill records after the cycle deadline, within A's
    # extension: on time)
    # ws-06 deduction: max(2 - 1 x 1, 0) = 1; summary 12 hours late = 1 day:
    #       - 0.1 x 2 x 1 = 0.2 -> 0.8;
    #       approved claim 11 restores lateness 0.2 and the deduction 1 -> 2 (never more than 2)
    # dr-01 ratio: min(0.9 / 0.9, 1) x 5 = 5; its latest ask (digital-plan) is 2 started days late:
    #       - 0.1 x 5 x 2 = 1 -> 4
    # dr-02 bonus: min(0.5, 1) = 0.5
    assert scores_of(results, "a-street") == {
        "ws-01": "2.2500",
        "ws-02": "2.6776",
        "ws-04": "1.6000",
        "ws-06": "2.0000",
        "ws-07": "0.0000",
        "dr-01": "4.0000",
        "dr-02": "0.5000",
    }
    a = unit_result(results, "a-street")
    # work-safety: 60 x (2.25 + 656/245 + 1.6 + 2) / 11 = 60 x (8357/980) / 11 = 25071/539
    #       = 46.513914...
    # digital-reform: 40 x 4 / 5 = 32; composite = 25071/539 + 32 + 0.5 bonus = 79.013914...
    #       -> 79.0139
    sas = {s.code: s for s in a.special_assessments}
    assert sas["work-safety"].earned == Fraction(8357, 980)
    assert sas["work-safety"].score == Fraction(25071, 539)
    assert sas["digital-reform"].score == 32
    assert a.bonus == Fraction(1, 2)
    assert a.composite == Fraction(25071, 539) + Fraction(65, 2)
    assert format_e4(a.composite_e4) == "79.0139"
    assert rounded(a.composite, 2) == "79.01"
    assert (a.vetoed, a.unreviewed) == (False, 0)
    adjustments = {
        code: adj
        for u, _, code, _, _, _, adj in results.indicator_rows()
        if u == "a-street" and adj is not None
    }
    assert adjustments["ws-02"].late_key == "rectification-ledger"
    assert (adjustments["ws-02"].days_late, adjustments["ws-02"].lateness_e4) == (3, 12000)
    assert (adjustments["ws-06"].claim_id, adjustments["ws-06"].restored_e4) == (11, 12000)
    assert (adjustments["dr-01"].late_key, adjustments["dr-01"].days_late) == ("digital-plan", 2)
    assert "ws-04" not in adjustments  # within the extension


def test_unit_b_missing_evidence_unreviewed_and_a_failed_veto():
    results = compute(hand_worked_inputs())
    # ws-01 unreviewed: 0 items met -> 0
    # ws-02 ratio: min(1.0 / 0.98, 1) x 4 = 4 (capped)
    # ws-04 grade A: 1.0 x 2 = 2
    # ws-06: annual-work-summary never submitted -> 0; the approved claim 12 does not restore it
    # ws-07 veto failed -> tier 较差 whatever the rank
    # dr-01: also needs the summary -> 0; dr-02 unreviewed -> 0
    assert scores_of(results, "b-street") == {
        "ws-01": "0.0000",
        "ws-02": "4.0000",
        "ws-04": "2.0000",
        "ws-06": "0.0000",
        "ws-07": "0.0000",
        "dr-01": "0.0000",
        "dr-02": "0.0000",
    }
    b = unit_result(results, "b-street")
    # work-safety: 60 x 6 / 11 = 360/11 = 32.72727... ; digital-reform 0 -> composite 32.7273
    assert b.composite == Fraction(360, 11)
    assert format_e4(b.composite_e4) == "32.7273"
    assert (b.vetoed, b.unreviewed) == (True, 2)
    assert (b.standing.rank, b.standing.tier) == (4, "较差")
    missing = {
        code: adj.missing
        for u, _, code, _, _, _, adj in results.indicator_rows()
        if u == "b-street" and adj
    }
    assert missing == {"ws-06": ("annual-work-summary",), "dr-01": ("annual-work-summary",)}


def test_tie_at_four_decimals_shares_a_rank_and_tiers_follow_the_group_size():
    results = compute(hand_worked_inputs())
    c, d = unit_result(results, "c-street"), unit_result(results, "d-street")
    # C: every indicator full -> 60 + 40 = 100.
    # D: dr-01 value 0.899999 -> 5 x 0.899999 / 0.9 = 4.9999944..., digital-reform 39.99995555...,
    #    composite 99.99995555... which rounds half-up to 100.0000: a tie with C.
    assert c.composite == 100 and d.composite < 100
    assert format_e4(c.composite_e4) == format_e4(d.composite_e4) == "100.0000"
    # Ranks 1, 1, 3, 4 (A is third); group of 4: 优秀 ranks <= ceil(0.3 x 4) = 2,
    # 良好 <= ceil(3.2) = 4.
    standings = {r.unit.code: (r.standing.rank, r.standing.tier) for r in results.units}
    assert standings == {
        "c-street": (1, "优秀"),
        "d-street": (1, "优秀"),
        "a-street": (3, "良好"),
        "b-street": (4, "较差"),
    }
    assert [r.unit.code for r in results.units] == ["c-street", "d-street", "a-street", "b-street"]


def test_recompute_is_byte_identical():
    first, second = compute(hand_worked_inputs()), compute(hand_worked_inputs())
    assert first.digest() == second.digest()
    assert inputs_digest(hand_worked_inputs()) == inputs_digest(hand_worked_inputs())


def test_a_changed_review_changes_both_digests():
    changed = hand_worked_inputs()
    changed.reviews[("work-safety", "ws-04")]["a-street"] = (99, "A")
    assert compute(changed).digest() != compute(hand_worked_inputs()).digest()
    assert inputs_digest(changed) != inputs_digest(hand_worked_inputs())


@pytest.mark.parametrize(
    ("late_by", "days"),
    [
        (timedelta(0), 0),
        (timedelta(seconds=1), 1),
        (timedelta(days=1), 1),
        (timedelta(days=1, microseconds=1), 2),
    ],
)
def test_days_late_counts_started_days(late_by, days):
    assert days_late(D0 + late_by, D0) == days


def test_tier_cutoffs_are_exact_shares_rounded_up():
    # 0.3 x 10 is 3.0000000000000004 in floating point; exact, it is 3.
    assert tier_cutoffs(10, RULES.tiers) == [("优秀", 3), ("良好", 8), ("一般", 10)]
    assert tier_cutoffs(4, RULES.tiers) == [("优秀", 2), ("良好", 4), ("一般", 4)]


def test_competition_ranks_share_and_skip():
    assert competition_ranks([90, 95, 95, 80]) == [3, 1, 1, 4]
