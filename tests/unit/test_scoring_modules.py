"""The scoring service's pure modules, tested directly: tiers, what-if weights, verification,
recompute after an appeal, scorecards, review revisions and missing reviews, page tokens,
lookups; and that none of them does I/O."""

from __future__ import annotations

import ast
import base64
import json
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given

from services.common.auth import Principal, Role
from services.common.errors import InvalidArgument, NotFound
from services.common.paging import encode_token
from services.scoring import appeals, lookups, scorecards, tiers, tokens, verify, weights
from services.scoring.model import (
    Catalogue,
    CycleRules,
    IndicatorRule,
    SpecialAssessmentRule,
    Tier,
    UnitRef,
)
from services.scoring.numbers import format_e4
from services.scoring.repository.scores import (
    IndicatorScoreRow,
    SpecialAssessmentRow,
    UnitScoreRow,
    indicator_records,
    special_assessment_records,
    unit_records,
)
from services.scoring.reviews import Judged, Recorded, missing_reviews, revisions
from services.scoring.rules import compute
from tests.unit.test_scoring_properties import PROPERTY_SETTINGS, cities

RULES = CycleRules(
    Decimal("0.1"),
    (Tier("优秀", Decimal("0.3")), Tier("良好", Decimal("0.8")), Tier("一般", Decimal("1.0"))),
    "较差",
)


def stored(results, run_id: int = 1):
    """A run's rows as the repository reads them back."""
    units = [UnitScoreRow(*r[1:]) for r in unit_records(run_id, results)]
    sas = [SpecialAssessmentRow(*r[1:]) for r in special_assessment_records(run_id, results)]
    indicators = [
        IndicatorScoreRow(*r[1:7], json.loads(r[7]) if r[7] else None)
        for r in indicator_records(run_id, results)
    ]
    return units, sas, indicators


# -- tiers ------------------------------------------------------------------------------------


def test_group_tiers_list_every_band_with_its_cutoff_and_holders():
    counts = [("a", 10, "优秀", 3), ("a", 10, "良好", 6), ("a", 10, "较差", 1), ("b", 4, "一般", 4)]
    (a, b) = tiers.group_tiers(counts, RULES)
    assert (a.group, a.size) == ("a", 10)
    assert [(x.tier, x.cutoff_rank, x.units) for x in a.bands] == [
        ("优秀", 3, 3),  # ceil(0.3 x 10) = 3, exactly
        ("良好", 8, 6),
        ("一般", 10, 0),
        ("较差", 0, 1),  # the veto tier, not one of the ranked tiers
    ]
    assert [(x.tier, x.cutoff_rank, x.units) for x in b.bands] == [
        ("优秀", 2, 0),
        ("良好", 4, 0),
        ("一般", 4, 4),
        ("较差", 0, 0),
    ]
    veto_is_ranked = replace(RULES, veto_tier="一般")
    (only,) = tiers.group_tiers([("b", 4, "一般", 4)], veto_is_ranked)
    assert [x.tier for x in only.bands] == ["优秀", "良好", "一般"]


# -- what-if weights --------------------------------------------------------------------------


def catalogue(weights_: dict[str, str]) -> Catalogue:
    return Catalogue(
        "c",
        tuple(SpecialAssessmentRule(c, f"{c}-dept", Decimal(w)) for c, w in weights_.items()),
        (),
        (),
    )


def test_weights_with_replaces_given_weights_and_checks_them_all():
    cat = catalogue({"ws": "60", "dr": "40"})
    assert weights.weights_with(cat, {"ws": "55.5", "dr": " 44.5 "}) == {
        "ws": Fraction(111, 2),
        "dr": Fraction(89, 2),
    }
    with pytest.raises(InvalidArgument) as one:
        weights.weights_with(cat, {"ws": "abc"})
    assert "weights[ws]: must be a number (got 'abc')" in str(one.value)
    with pytest.raises(InvalidArgument) as many:
        weights.weights_with(cat, {"xx": "1", "ws": "-1", "dr": "NaN"})
    text = str(many.value) + repr(many.value.violations)
    for expected in ("no special assessment 'xx'", ">= 0 (got '-1')", "(got 'NaN')"):
        assert expected in text
    with pytest.raises(InvalidArgument, match="must sum to 100 \\(they sum to 101\\)"):
        weights.weights_with(cat, {"ws": "61"})


@PROPERTY_SETTINGS
@given(cities())
def test_previewing_the_cycles_own_weights_reproduces_the_run(inputs):
    results = compute(inputs)
    units, sas, _ = stored(results)
    own = {s.code: Fraction(s.weight) for s in inputs.catalogue.special_assessments}
    previewed = weights.preview(units, sas, own, inputs.rules)
    for r in results.units:
        p = previewed[r.unit.code]
        assert (p.composite, p.composite_e4, p.standing) == (
            r.composite,
            r.composite_e4,
            r.standing,
        )


def test_preview_reweights_earned_over_possible_and_reranks():
    units = [
        UnitScoreRow("u1", "g", "township", "0/1", 0, "1/2", False, 0, 1, 2, "优秀", 1),
        UnitScoreRow("u2", "g", "township", "0/1", 0, "0/1", False, 0, 2, 2, "一般", 1),
    ]
    sas = [
        SpecialAssessmentRow("u1", "ws", "50", "1/1", "2/1", 0),  # half of ws
        SpecialAssessmentRow("u1", "dr", "50", "0/1", "2/1", 0),
        SpecialAssessmentRow("u2", "ws", "50", "0/1", "2/1", 0),
        SpecialAssessmentRow("u2", "dr", "50", "2/1", "2/1", 0),  # all of dr
    ]
    out = weights.preview(units, sas, {"ws": Fraction(20), "dr": Fraction(80)}, RULES)
    assert out["u1"].composite == Fraction(21, 2)  # 20 x 1/2 + bonus 1/2
    assert out["u2"].composite == 80
    assert (out["u2"].standing.rank, out["u1"].standing.rank) == (1, 2)


# -- verification -----------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(cities())
def test_a_run_verifies_against_its_own_rows_and_every_tampering_is_named(inputs):
    results = compute(inputs)
    units, _, indicators = stored(results)
    assert verify.differences(results, units, indicators) == []
    if not units or not indicators:
        return
    tampered = [replace(units[0], rank=units[0].rank + 1), *units[1:]]
    (difference,) = verify.differences(results, tampered, indicators)
    assert difference.startswith(f"unit {units[0].unit_code}: stored (")
    first = indicators[0]
    name = f"{first.unit_code}/{first.sa_code}/{first.indicator_code}"
    changed = [replace(first, score_e4=first.score_e4 + 1), *indicators[1:]]
    (difference,) = verify.differences(results, units, changed)
    assert difference.startswith(
        f"indicator {name}: stored ({first.score_e4 + 1}, {first.base_e4}, {first.review_id!r},"
    )
    assert f", recomputed ({first.score_e4}, {first.base_e4}, {first.review_id!r}," in difference
    assert verify.differences(results, units, indicators[1:]) == [
        f"indicator {name}: missing from the stored run"
    ]
    assert verify.differences(results, units, [*indicators, first]) == [
        "indicator rows: 1 duplicated"
    ]


# -- recompute after an appeal ----------------------------------------------------------------


@PROPERTY_SETTINGS
@given(cities())
def test_after_an_appeal_only_changed_units_store_detail(inputs):
    results = compute(inputs)
    units, _, _ = stored(results, run_id=7)
    if not units:
        return
    by_unit = {u.unit_code: u for u in units}
    appealed = units[0].unit_code
    assert appeals.changed_units(results, by_unit, appealed) == {appealed}
    other = units[-1]
    by_unit[other.unit_code] = replace(other, composite="12345/1")
    changed = appeals.changed_units(results, by_unit, appealed)
    assert changed == {appealed, other.unit_code}
    detail = appeals.detail_runs(by_unit, changed)
    assert set(detail) == set(by_unit) - changed and set(detail.values()) <= {7}


def test_each_adjusted_review_joins_the_recipe_in_order():
    first = appeals.recipe_with_review({"review_watermark": 5}, 11)
    assert first == {"review_watermark": 5, "appeal_reviews": [11]}
    assert appeals.recipe_with_review(first, 12)["appeal_reviews"] == [11, 12]


# -- scorecards -------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(cities())
def test_a_scorecard_explains_every_stored_number_in_catalogue_order(inputs):
    results = compute(inputs)
    units, sas, indicators = stored(results)
    for unit in units[:3]:
        card = scorecards.scorecard(
            inputs.catalogue,
            inputs.rules,
            unit,
            [s for s in sas if s.unit_code == unit.unit_code],
            [i for i in indicators if i.unit_code == unit.unit_code],
            {},
        )
        order = [r.key for r in inputs.catalogue.indicators]
        keys = [c.rule.key for c in card.indicators]
        assert keys == sorted(keys, key=order.index)
        assert all(c.steps[-1].result == format_e4(c.score_e4) for c in card.indicators)
        assert card.composite.result == format_e4(unit.composite_e4)
        assert card.ranking.result == unit.tier


# -- reviews ----------------------------------------------------------------------------------

RATIO = IndicatorRule("ws", "ws-02", "ratio", Decimal(4), (), ("township",), target=Decimal(1))


def test_a_sheet_records_only_rows_that_differ_from_the_latest_revision():
    judged = Judged(950000, {"value": "0.95"})
    latest = {("a", RATIO.key): Recorded(3, "950000", "ok"), ("b", RATIO.key): Recorded(1, "1", "")}
    new, unchanged = revisions(
        [("a", RATIO, judged, "ok"), ("b", RATIO, judged, ""), ("c", RATIO, judged, "")], latest
    )
    assert unchanged == 1
    assert [(n.unit, n.revision, n.judgement) for n in new] == [
        ("b", 2, "950000"),
        ("c", 1, "950000"),
    ]


def test_missing_reviews_count_per_department_with_examples():
    cat = Catalogue(
        "c",
        (SpecialAssessmentRule("ws", "safety", Decimal(100)),),
        (RATIO,),
        tuple(UnitRef(f"u{i:02d}", "township", "g") for i in range(60)),
    )
    (safety,) = missing_reviews(cat, {("u00", "ws", "ws-02")})
    assert (safety.department, safety.missing, safety.total) == ("safety", 59, 60)
    assert len(safety.examples) == 50 and safety.examples[0] == "u01/ws/ws-02"
    assert missing_reviews(cat, {(f"u{i:02d}", "ws", "ws-02") for i in range(60)}) == []
    assert missing_reviews(cat, set(), department="other") == []


# -- lookups ----------------------------------------------------------------------------------


def test_lookups_name_the_request_field():
    cat = Catalogue(
        "c",
        (SpecialAssessmentRule("ws", "safety", Decimal(100)),),
        (RATIO,),
        (UnitRef("t", "township", "g"), UnitRef("d", "department", "g")),
    )
    assert lookups.rule(cat, RATIO.key, lookups.unit(cat, "t")) is RATIO
    with pytest.raises(NotFound, match="unit_code: unit 'x' is not assessed"):
        lookups.unit(cat, "x")
    with pytest.raises(NotFound, match="no special assessment 'xx'"):
        lookups.rule(cat, ("xx", "ws-02"), lookups.unit(cat, "t"))
    with pytest.raises(NotFound, match="indicator: no indicator 'ws-09'"):
        lookups.rule(cat, ("ws", "ws-09"), lookups.unit(cat, "t"), "indicator")
    with pytest.raises(InvalidArgument, match="does not apply to department units like d"):
        lookups.rule(cat, RATIO.key, lookups.unit(cat, "d"))
    assessor = Principal("s", Role.ASSESSOR, department="safety")
    assert lookups.own_special_assessments(cat, assessor) == ["ws"]
    assert lookups.own_special_assessments(cat, replace(assessor, role=Role.ADMIN)) is None


# -- page tokens ------------------------------------------------------------------------------


def _raw(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


def test_page_tokens_round_trip():
    assert tokens.after_id("") == 0 and tokens.after_id(tokens.id_token(42)) == 42
    assert tokens.after_review("") is None
    assert tokens.after_review(tokens.review_token("u", "s", "i", 3)) == ("u", "s", "i", 3)
    assert tokens.after_score("") is None
    assert tokens.after_score(tokens.score_token(2, "g", 5, "u")) == tokens.ScoresAfter(
        2, "g", 5, "u"
    )


@pytest.mark.parametrize(
    ("read", "token"),
    [
        (tokens.after_id, "%%%"),
        (tokens.after_id, _raw([1])),
        (tokens.after_id, _raw({"after": -1})),
        (tokens.after_id, _raw({"after": "1"})),
        (tokens.after_id, _raw({"after": True})),
        (tokens.after_id, _raw({"after": 2**63})),
        (tokens.after_id, _raw({"after": 1, "more": 2})),
        (tokens.after_id, encode_token({"offset": 10})),
        (tokens.after_review, _raw({"after": 5})),
        (tokens.after_review, _raw({"after": ["u", "s", "i"]})),
        (tokens.after_review, _raw({"after": ["u", "s", "i", -1]})),
        (tokens.after_review, _raw({"after": ["u\x00", "s", "i", 1]})),
        (tokens.after_review, _raw({"after": [1, "s", "i", 1]})),
        (tokens.after_score, _raw({"offset": -10})),
        (tokens.after_score, _raw({"run": 1, "after": ["g", 1.5, "u"]})),
        (tokens.after_score, _raw({"run": -1, "after": ["g", 1, "u"]})),
        (tokens.after_score, _raw({"run": 1, "after": ["g" * 1000, 1, "u"]})),
        (tokens.after_score, "e" * 5000),
    ],
)
def test_a_token_this_service_did_not_issue_is_invalid_argument(read, token):
    with pytest.raises(InvalidArgument) as err:
        read(token)
    assert err.value.metadata == {"field": "page_token"}


# -- purity -----------------------------------------------------------------------------------

PURE = (
    "model",
    "numbers",
    "rules",
    "tiers",
    "digests",
    "weights",
    "verify",
    "scorecards",
    "explain",
    "appeals",
    "claims",
    "reviews",
    "imports",
    "lookups",
    "tokens",
)
IMPURE = ("asyncpg", "grpc", "services.scoring.repository", "services.scoring.usecases")


@pytest.mark.parametrize("name", PURE)
def test_pure_modules_do_no_io(name):
    path = Path(__file__).parents[2] / "services" / "scoring" / f"{name}.py"
    imported = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    assert not {m for m in imported if m.startswith(IMPURE)}
