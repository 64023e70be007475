"""The cycle plan and tolerance parser (pure): the sample, and problems the service tests do
not reach."""

from __future__ import annotations

import pytest

from services.common.errors import InvalidArgument
from services.indicators.plan import parse_offset, parse_plan
from tests.conftest import EXAMPLE

PLAN = (EXAMPLE / "cycle.yaml").read_text()
TOLERANCE = (EXAMPLE / "tolerance.yaml").read_text()


def parse(plan: str = PLAN, tolerance: str | None = TOLERANCE):
    return parse_plan(
        plan.encode(),
        "cycle.yaml",
        tolerance.encode() if tolerance is not None else None,
        "tolerance.yaml",
    )


def problems(plan: str = PLAN, tolerance: str | None = TOLERANCE) -> list[str]:
    with pytest.raises(InvalidArgument) as err:
        parse(plan, tolerance)
    return [str(v) for v in err.value.violations]


def test_sample_plan():
    plan = parse()
    assert plan.code == "haizhou-2026"
    assert sum(w for _, w in plan.weights) == 100
    assert plan.collection_closes == "2027-01-08T18:00:00+08:00"  # evidence_due + 2d x (3 + 1)
    assert plan.reminders_before_seconds == (14 * 86400, 3 * 86400, 86400)
    assert [t.name for t in plan.tiers] == ["优秀", "良好", "一般"]
    assert {t.code for t in plan.tolerance if t.never_tolerated} == {
        "N01",
        "N02",
        "N03",
        "N04",
        "N05",
        "N06",
    }
    assert [t.code for t in plan.tolerance if t.prefiling] == ["T07"]


@pytest.mark.parametrize(
    ("text", "seconds"), [("14d", 14 * 86400), ("12h", 43200), (" 30m ", 1800), ("3 d", 3 * 86400)]
)
def test_offsets(text, seconds):
    assert parse_offset(text) == seconds


@pytest.mark.parametrize("text", ["14", "d", "-1d", "1w", "two days", None])
def test_offsets_that_do_not_parse(text):
    assert parse_offset(text) is None


def test_unknown_time_zone_and_non_positive_weight():
    found = problems(
        PLAN.replace("timezone: Asia/Shanghai", "timezone: Asia/Haizhou").replace(
            "  petitions: 10", "  petitions: 0"
        )
    )
    assert "cycle.yaml:4: timezone: unknown time zone 'Asia/Haizhou'" in found
    assert "cycle.yaml:12: special_assessments.petitions: weight must be a positive number" in found


def test_reminder_before_the_cycle_opens():
    found = problems(PLAN.replace("before: [14d, 3d, 1d]", "before: [90d, 3d]"))
    assert found == ["cycle.yaml:23: reminders.before: offset 90d falls before the cycle opens"]


def test_tolerance_problems_are_reported_with_the_plans():
    tolerance = TOLERANCE.replace("{code: T02,", "{code: T01,").replace(
        "{code: N01, name: 谋取私利}", "{code: N01, name: 谋取私利, prefiling: true}"
    )
    found = problems(tolerance=tolerance)
    assert any(
        p.startswith("tolerance.yaml:") and "tolerated[1].code: duplicate category 'T01'" in p
        for p in found
    )
    assert any(
        "never_tolerated[0].prefiling: a never-tolerated category cannot allow pre-filing" in p
        for p in found
    )


def test_duplicate_tier_names_and_missing_veto_tier():
    found = problems(
        PLAN.replace("{name: 良好, top_share: 0.8}", "{name: 优秀, top_share: 0.8}").replace(
            "veto_tier: 较差\n", ""
        )
    )
    assert "cycle.yaml:37: tiers: tier names must be unique" in found
    assert any(p.endswith("veto_tier: is required (the tier a failed veto caps at)") for p in found)
