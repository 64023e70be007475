"""Pure validation of the scoring service: review inputs by method, claims, appeal windows,
review sheets, and the explanations rendered from stored results."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest

from services.common.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from services.scoring.appeals import Window, check_open
from services.scoring.claims import ToleranceCategory, decidable, validate_filing
from services.scoring.explain import indicator_steps, ranking_step
from services.scoring.imports import read_sheet, template_rows, validate_rows, write_template
from services.scoring.model import (
    Adjustment,
    Catalogue,
    CycleRules,
    IndicatorRule,
    SpecialAssessmentRule,
    Tier,
    UnitRef,
)
from services.scoring.reviews import check, judge, parse_judgement, shown_value

GRADES = (("A", Decimal(1)), ("B", Decimal("0.8")))
RATIO = IndicatorRule(
    "ws", "ws-02", "ratio", Decimal(4), ("ledger",), ("township",), target=Decimal("0.98")
)
GRADE = IndicatorRule("ws", "ws-04", "grade", Decimal(2), (), ("township",), grades=GRADES)
CHECKLIST = IndicatorRule("ws", "ws-01", "checklist", Decimal(3), (), ("township",), items=4)
DEDUCTION = IndicatorRule(
    "ws", "ws-06", "deduction", Decimal(2), (), ("township",), deduct_per=Decimal(1)
)
BONUS = IndicatorRule("dr", "dr-02", "bonus", Decimal(0), (), ("township",), max=Decimal(1))
VETO = IndicatorRule("ws", "ws-07", "veto", Decimal(0), (), ("township",))
DEPT_ONLY = IndicatorRule(
    "ws", "ws-05", "ratio", Decimal(2), (), ("department",), target=Decimal(1)
)
CATALOGUE = Catalogue(
    "c",
    (
        SpecialAssessmentRule("ws", "safety", Decimal(60)),
        SpecialAssessmentRule("dr", "data", Decimal(40)),
    ),
    (RATIO, GRADE, CHECKLIST, DEDUCTION, BONUS, VETO, DEPT_ONLY),
    (UnitRef("town-a", "township", "g"), UnitRef("dept-b", "department", "h")),
)
RULES = CycleRules(Decimal("0.1"), (Tier("优秀", Decimal("0.3")), Tier("一般", Decimal(1))), "较差")


# -- review inputs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "given", "judgement", "shown"),
    [
        (RATIO, {"value": 0.95}, 950_000, {"value": "0.95"}),
        (RATIO, {"value": "97.5%"}, 975_000, {"value": "0.975"}),
        (RATIO, {"value": "1,200"}, 1_200_000_000, {"value": "1200"}),
        (GRADE, {"grade": "b"}, "B", {"grade": "B"}),
        (CHECKLIST, {"items_met": 4.0}, 4, {"items_met": "4"}),
        (DEDUCTION, {"occurrences": "2"}, 2_000_000, {"occurrences": "2"}),
        (BONUS, {"claimed": 0.5}, 500_000, {"claimed": "0.5"}),
        (VETO, {"failed": "是"}, True, {"failed": "true"}),
        (VETO, {"failed": False}, False, {"failed": "false"}),
    ],
)
def test_valid_inputs_become_canonical_judgements(rule, given, judgement, shown):
    judged = judge(rule, given)
    assert (judged.judgement, judged.shown) == (judgement, shown)
    assert parse_judgement(rule.method, judged.text) == judgement
    assert shown_value(rule.method, judgement) == next(iter(shown.values()))


@pytest.mark.parametrize(
    ("rule", "given", "field", "words"),
    [
        (RATIO, {"value": float("nan")}, "input.value", "must be a finite number"),
        (RATIO, {"value": "abc"}, "input.value", "must be a number"),
        (RATIO, {"value": True}, "input.value", "must be a number"),
        (RATIO, {"value": 1e12}, "input.value", "must be at most 1000000000"),
        (CHECKLIST, {"items_met": 2.5}, "input.items_met", "must be a whole number"),
        (CHECKLIST, {"items_met": -1}, "input.items_met", "must not be negative"),
        (DEDUCTION, {"occurrences": -2}, "input.occurrences", "must not be negative"),
        (VETO, {"failed": "maybe"}, "input.failed", "must be true or false"),
        (VETO, {}, "input.failed", "is required by method veto"),
        (
            GRADE,
            {"grade": "A", "value": 1},
            "input.value",
            "is not used by method grade (fill input.grade)",
        ),
    ],
)
def test_invalid_inputs_name_the_field(rule, given, field, words):
    with pytest.raises(InvalidArgument) as err:
        judge(rule, given)
    assert err.value.violations[0].field == field and words in str(err.value)
    assert check(rule, given, prefix="").field == field.removeprefix("input.")


# -- claims ---------------------------------------------------------------------------------

TOLERANCE = {
    "T01": ToleranceCategory("T01", "先行先试"),
    "T07": ToleranceCategory("T07", "事前备案的探索性工作", prefiling=True),
    "N01": ToleranceCategory("N01", "谋取私利", never_tolerated=True),
}
TODAY = date(2026, 11, 20)


def filing(**overrides):
    fields = {
        "catalogue": CATALOGUE,
        "tolerance": TOLERANCE,
        "unit_code": "town-a",
        "category": "T01",
        "description": "a pilot",
        "indicators": [("ws", "ws-02"), ("dr", "dr-02")],
        "prefiling": False,
        "act_date": "",
        "today": TODAY,
        **overrides,
    }
    return validate_filing(**fields)


def test_a_valid_claim_knows_each_indicators_owner():
    claim = filing()
    assert claim.owners == ("safety", "data") and claim.category.code == "T01"
    pre = filing(category="T07", prefiling=True, act_date="2026-11-21")
    assert pre.act_date == date(2026, 11, 21)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category": "N01"}, "category"),
        ({"indicators": [("ws", "ws-02"), ("ws", "ws-02")]}, "indicators[1]"),
        ({"indicators": [("ws", "ws-05")]}, "indicators[0]"),
        ({"category": "T07", "prefiling": True, "act_date": "2026-11-20"}, "act_date"),
        ({"prefiling": True, "act_date": "2026-12-01"}, "prefiling"),
        ({"unit_code": "nowhere"}, "unit_code"),
    ],
)
def test_invalid_claims_name_the_field(overrides, field):
    with pytest.raises(InvalidArgument) as err:
        filing(**overrides)
    assert err.value.violations[0].field == field


def test_decidable_picks_the_callers_pending_indicators():
    pending = [(("ws", "ws-02"), "safety"), (("dr", "dr-02"), "data")]
    assert decidable(pending, [], "safety", 1) == [("ws", "ws-02")]
    assert decidable(pending, [("dr", "dr-02")], None, 1) == [("dr", "dr-02")]
    with pytest.raises(PermissionDenied):
        decidable(pending, [("dr", "dr-02")], "safety", 1)
    with pytest.raises(FailedPrecondition):
        decidable(pending, [("ws", "ws-01")], "safety", 1)
    with pytest.raises(FailedPrecondition):
        decidable([], [], "safety", 1)


# -- appeal window --------------------------------------------------------------------------


def test_the_appeal_window():
    now = datetime(2027, 1, 26, tzinfo=UTC)
    published = Window("c", now - timedelta(days=1), now + timedelta(days=6), None)
    check_open(published, now)
    for window, reason in [
        (Window("c", None, None, None), "NOT_PUBLISHED"),
        (Window("c", now, now - timedelta(seconds=1), None), "APPEAL_WINDOW_CLOSED"),
        (Window("c", now, now + timedelta(days=1), now), "FINALIZED"),
    ]:
        with pytest.raises(FailedPrecondition) as err:
            check_open(window, now)
        assert err.value.reason == reason


# -- sheets ---------------------------------------------------------------------------------

HEADER = (
    "unit_code,special_assessment_code,indicator_code,value,grade,items_met,occurrences,"
    "claimed,failed,comment\n"
)


def test_a_csv_sheet_reads_with_sheet_row_numbers():
    content = (HEADER + "town-a,ws,ws-02,0.9,,,,,,ok\n\n" + "town-a,ws,ws-04,,B,,,,,\n").encode()
    rows = read_sheet("s.csv", content)
    assert [(r.row, r.indicator, r.given) for r in rows] == [
        (2, ("ws", "ws-02"), {"value": "0.9"}),
        (4, ("ws", "ws-04"), {"grade": "B"}),
    ]
    valid, blank = validate_rows("s.csv", rows, CATALOGUE, lambda owner: True)
    assert [(v.row, v.judged.judgement) for v in valid] == [(2, 900_000), (4, "B")] and blank == 0


def test_a_csv_excel_saved_on_chinese_windows_reads_as_gb18030():
    # Excel's "CSV" on a Chinese Windows machine is GB18030/GBK, not UTF-8.
    text = HEADER + "town-a,ws,ws-02,0.9,,,,,,整改到位\n" + "town-a,ws,ws-04,,B,,,,,台账齐全\n"
    content = text.encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")  # the bytes really are not UTF-8
    rows = read_sheet("s.csv", content)
    assert [(r.indicator, r.given, r.comment) for r in rows] == [
        (("ws", "ws-02"), {"value": "0.9"}, "整改到位"),
        (("ws", "ws-04"), {"grade": "B"}, "台账齐全"),
    ]


def test_a_csv_in_neither_utf8_nor_gb18030_is_refused():
    content = HEADER.encode() + b"town-a,ws,ws-02,0.9,,,,,,\x80\n"
    with pytest.raises(InvalidArgument) as err:
        read_sheet("s.csv", content)
    assert "neither UTF-8 nor GB18030" in str(err.value)


def test_a_sheet_reports_every_bad_row_and_duplicates():
    content = (
        HEADER
        + "town-a,ws,ws-02,0.9,,,,,,\n"
        + "town-a,ws,ws-02,0.8,,,,,,\n"  # the same pair twice
        + "nowhere,ws,ws-02,0.9,,,,,,\n"
        + "town-a,ws,ws-04,,A,,,,,\n"  # fine
        + "town-a,ws,ws-05,1,,,,,,\n"  # department only
    ).encode()
    with pytest.raises(InvalidArgument) as err:
        validate_rows("s.csv", read_sheet("s.csv", content), CATALOGUE, lambda owner: True)
    problems = [(v.location, v.field) for v in err.value.violations]
    assert problems == [
        ("s.csv row 3", "indicator_code"),
        ("s.csv row 4", "unit_code"),
        ("s.csv row 6", "indicator_code"),
    ]
    assert "is already on row 2" in err.value.violations[0].reason


def test_rows_of_another_department_are_refused_whole():
    content = (HEADER + "town-a,ws,ws-02,0.9,,,,,,\n" + "town-a,dr,dr-02,,,,,1,,\n").encode()
    with pytest.raises(PermissionDenied) as err:
        validate_rows(
            "s.csv", read_sheet("s.csv", content), CATALOGUE, lambda owner: owner == "safety"
        )
    assert "row 3 (dr, owned by data)" in str(err.value)


def test_the_xlsx_template_reads_back_as_a_sheet():
    rows = template_rows(
        CATALOGUE,
        "ws",
        {"town-a": "A镇"},
        {("town-a", ("ws", "ws-02")): ({"value": "0.95"}, "checked")},
    )
    # Units by code: dept-b's one indicator, then town-a's five (in catalogue order).
    assert [(r[0], r[3]) for r in rows] == [
        ("dept-b", "ws-05"),
        *(("town-a", code) for code in ("ws-02", "ws-04", "ws-01", "ws-06", "ws-07")),
    ]
    content = write_template(rows, "xlsx")
    assert openpyxl.load_workbook(io.BytesIO(content))["reviews"]["B3"].value == "A镇"
    read = read_sheet("t.xlsx", content)
    assert (read[1].unit, read[1].given, read[1].comment) == (
        "town-a",
        {"value": "0.95"},
        "checked",
    )
    assert [r.row for r in read if r.given] == [3]


# -- explanations ---------------------------------------------------------------------------


def test_explanations_show_the_numbers_used():
    late = Adjustment(
        late_key="ledger", days_late=3, lateness_e4=12000, claim_id=7, restored_e4=12000
    )
    steps = indicator_steps(
        RATIO, 950_000, base_e4=38776, score_e4=38776, adjustment=late, rules=RULES
    )
    assert [s.rule for s in steps] == ["ratio", "lateness", "tolerance"]
    assert steps[0].formula == "min(0.95 / 0.98, 1) x 4 = 3.8776"
    assert (
        steps[1].formula.endswith("max(3.8776 - 0.1 x 4 x 3, 0) = 2.6776")
        and steps[1].result == "2.6776"
    )
    assert steps[2].formula.endswith("2.6776 + 1.2 = 3.8776") and steps[2].inputs["claim_id"] == "7"
    missing = indicator_steps(
        DEDUCTION,
        None,
        base_e4=20000,
        score_e4=0,
        adjustment=Adjustment(missing=("ledger",)),
        rules=RULES,
    )
    assert missing[0].formula == "unreviewed: max(2 - 1 x 0, 0) = 2"
    assert missing[1].formula == "no submission of ledger when review started -> 0"
    ranking = ranking_step(
        group="g",
        group_size=10,
        rank=3,
        composite_e4=912345,
        tier="优秀",
        vetoed=False,
        rules=RULES,
    )
    assert "优秀 ranks <= 3 (0.3 x 10 rounded up)" in ranking.formula and ranking.formula.endswith(
        "-> 优秀"
    )
