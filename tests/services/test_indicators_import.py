"""Importing special assessments and units over gRPC: every bad input is rejected with the
status, the file, the line or cell, the field and the reason, and changes nothing; versions;
who may import what."""

from __future__ import annotations

from dataclasses import asdict

import grpc
import pytest

from oneassess.client import workbooks
from oneassess.client.errors import error_reason
from oneassess.indicators.v1 import indicators_service_pb2 as pb
from services.common.auth import Role
from tests.conftest import EXAMPLE
from tests.support.indicators import (
    SPECIAL_ASSESSMENTS,
    counts,
    file_source,
    import_sample,
    import_units,
    rejected,
    source,
)

WORK_SAFETY = (EXAMPLE / "special-assessments" / "work-safety.yaml").read_text()
DIGITAL = (EXAMPLE / "special-assessments" / "digital-reform.yaml").read_text()


@pytest.fixture(scope="module")
def stack(indicators_module_stack):
    return indicators_module_stack


def line_of(text: str, anchor: str) -> int:
    return text[: text.index(anchor)].count("\n") + 1


def edited(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# (case, original text, old, new, anchor of the reported line in the edited text, field, reason)
BAD_FILES = [
    (
        "unknown method",
        WORK_SAFETY,
        "    method: ratio\n    target: 0.98",
        "    method: percent\n    target: 0.98",
        "method: percent",
        "indicator ws-02.method",
        "unknown scoring method 'percent' (known: ratio, grade, checklist, deduction, bonus, veto)",
    ),
    (
        "ratio without target",
        WORK_SAFETY,
        "    target: 0.98\n",
        "",
        "code: ws-02",
        "indicator ws-02.target",
        "method ratio needs target",
    ),
    (
        "grade without grades",
        WORK_SAFETY,
        "    grades: {A: 1.0, B: 0.8, C: 0.6, D: 0.3}\n",
        "",
        "code: ws-04",
        "indicator ws-04.grades",
        "method grade needs grades",
    ),
    (
        "checklist without items",
        WORK_SAFETY,
        "    items: 4\n",
        "",
        "code: ws-01",
        "indicator ws-01.items",
        "method checklist needs items",
    ),
    (
        "deduction without deduct_per",
        WORK_SAFETY,
        "    deduct_per: 1\n",
        "",
        "code: ws-06",
        "indicator ws-06.deduct_per",
        "method deduction needs deduct_per",
    ),
    (
        "bonus without max",
        DIGITAL,
        "    max: 1\n",
        "",
        "code: dr-06",
        "indicator dr-06.max",
        "method bonus needs max",
    ),
    (
        "negative points",
        WORK_SAFETY,
        "    points: 2\n    method: ratio\n    target: 0.95",
        "    points: -2\n    method: ratio\n    target: 0.95",
        "points: -2",
        "indicator ws-03.points",
        "must not be negative (got -2)",
    ),
    (
        "duplicate indicator code",
        WORK_SAFETY,
        "  - code: ws-02",
        "  - code: ws-01",
        "  - code: ws-01\n    name: 隐患",
        "indicator ws-01.code",
        "duplicate indicator code 'ws-01'",
    ),
    (
        "duplicate evidence key",
        WORK_SAFETY,
        "{key: inspection-records,",
        "{key: training-records,",
        "{key: training-records, name: 执法",
        "evidence[7].key",
        "duplicate evidence key 'training-records'",
    ),
    (
        "undeclared evidence key",
        WORK_SAFETY,
        "evidence: [training-records]",
        "evidence: [training-record]",
        "evidence: [training-record]",
        "indicator ws-03.evidence",
        "names evidence key 'training-record' that this file does not declare under evidence",
    ),
    (
        "unknown unit kind",
        WORK_SAFETY,
        "applies_to: [township, department]",
        "applies_to: [township, village]",
        "applies_to: [township, village]",
        "applies_to",
        "unknown unit kind 'village' (known: department, township)",
    ),
    (
        "unknown unit kind on an indicator",
        WORK_SAFETY,
        "    applies_to: [department]",
        "    applies_to: [departments]",
        "applies_to: [departments]",
        "indicator ws-05.applies_to",
        "unknown unit kind 'departments'",
    ),
]


@pytest.mark.parametrize(
    ("case", "text", "old", "new", "anchor", "field", "reason"),
    BAD_FILES,
    ids=[c[0] for c in BAD_FILES],
)
async def test_bad_special_assessment_is_rejected_naming_line_field_and_reason(
    stack, case, text, old, new, anchor, field, reason
):
    bad = edited(text, old, new)
    before = await counts(stack.pool("indicators"))
    err = await rejected(
        stack.admin.indicators.ImportSpecialAssessment(
            pb.ImportSpecialAssessmentRequest(file=source("bad.yaml", bad))
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert f"bad.yaml:{line_of(bad, anchor)}: {field}: {reason}" in err.details()
    assert error_reason(err) == "INVALID_FIELDS"
    assert await counts(stack.pool("indicators")) == before


async def test_every_problem_of_a_file_is_reported_at_once(stack):
    bad = edited(
        WORK_SAFETY, "    method: ratio\n    target: 0.98", "    method: percent\n    target: 0.98"
    )
    bad = edited(bad, "evidence: [training-records]", "evidence: [training-record]")
    bad = edited(bad, "    points: 2\n    method: grade", "    points: -1\n    method: grade")
    before = await counts(stack.pool("indicators"))
    err = await rejected(
        stack.admin.indicators.ImportSpecialAssessment(
            pb.ImportSpecialAssessmentRequest(file=source("ws.yaml", bad))
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert "special assessment ws.yaml was rejected: 3 problems" in err.details()
    for fragment in (
        "indicator ws-02.method",
        "indicator ws-03.evidence",
        "indicator ws-04.points",
    ):
        assert fragment in err.details()
    assert await counts(stack.pool("indicators")) == before


async def test_yaml_syntax_error_names_the_line(stack):
    bad = edited(WORK_SAFETY, "    items: 4\n", "    items: [4\n")
    before = await counts(stack.pool("indicators"))
    err = await rejected(
        stack.admin.indicators.ImportSpecialAssessment(
            pb.ImportSpecialAssessmentRequest(file=source("ws.yaml", bad))
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert err.details().startswith("ws.yaml:")
    assert "not valid YAML" in err.details()
    assert await counts(stack.pool("indicators")) == before


async def test_bad_workbook_names_sheet_and_cell(stack):
    import io

    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(workbooks.special_assessment_workbook()))
    wb["indicators"]["D2"] = "percent"  # method of the example row
    wb["indicators"]["C2"] = -2  # points
    out = io.BytesIO()
    wb.save(out)
    before = await counts(stack.pool("indicators"))
    err = await rejected(
        stack.admin.indicators.ImportSpecialAssessment(
            pb.ImportSpecialAssessmentRequest(file=source("ws.xlsx", out.getvalue()))
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert (
        "ws.xlsx:indicators!D2: indicator ws-03.method: unknown scoring method 'percent'"
        in err.details()
    )
    assert (
        "ws.xlsx:indicators!C2: indicator ws-03.points: must not be negative (got -2)"
        in err.details()
    )
    assert await counts(stack.pool("indicators")) == before


async def test_not_a_workbook_is_rejected(stack):
    before = await counts(stack.pool("indicators"))
    err = await rejected(
        stack.admin.indicators.ImportSpecialAssessment(
            pb.ImportSpecialAssessmentRequest(file=source("ws.xlsx", b"nope"))
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert err.details().startswith("ws.xlsx: file: not an Excel workbook")
    assert await counts(stack.pool("indicators")) == before


async def test_workbook_and_yaml_of_one_file_give_the_same_catalogue(stack):
    from services.indicators.formats import read_special_assessment

    path = EXAMPLE / "special-assessments" / "ecology.yaml"
    doc = read_special_assessment(path.name, path.read_bytes())
    from_yaml = await stack.admin.indicators.ImportSpecialAssessment(
        pb.ImportSpecialAssessmentRequest(file=file_source(path))
    )
    before = await counts(stack.pool("indicators"))
    from_excel = await stack.admin.indicators.ImportSpecialAssessment(
        pb.ImportSpecialAssessmentRequest(
            file=source("ecology.xlsx", workbooks.special_assessment_workbook(doc.to_dict()))
        )
    )
    assert from_excel.special_assessment.sha256 == from_yaml.special_assessment.sha256 == doc.sha256
    assert from_excel.created is False  # identical content: no new version
    assert from_excel.special_assessment.version == from_yaml.special_assessment.version
    assert (await counts(stack.pool("indicators")))["special_assessments"] == before[
        "special_assessments"
    ]


async def test_changed_file_creates_a_new_version_and_the_old_stays_readable(stack):
    admin = stack.admin.indicators
    path = EXAMPLE / "special-assessments" / "petitions.yaml"
    first = await admin.ImportSpecialAssessment(
        pb.ImportSpecialAssessmentRequest(file=file_source(path))
    )
    changed = path.read_text().replace(
        "name: 信访工作专项考核", "name: 信访工作专项考核（修订）", 1
    )
    assert changed != path.read_text()
    second = await admin.ImportSpecialAssessment(
        pb.ImportSpecialAssessmentRequest(file=source(path.name, changed))
    )
    assert first.created and second.created
    assert second.special_assessment.version == first.special_assessment.version + 1
    assert second.special_assessment.sha256 != first.special_assessment.sha256

    listed = await admin.ListSpecialAssessments(
        pb.ListSpecialAssessmentsRequest(code="petitions", all_versions=True)
    )
    assert [(s.version, s.name) for s in listed.special_assessments] == [
        (second.special_assessment.version, "信访工作专项考核（修订）"),
        (first.special_assessment.version, "信访工作专项考核"),
    ]
    assert listed.special_assessments[1].sha256 == first.special_assessment.sha256
    latest = await admin.ListSpecialAssessments(pb.ListSpecialAssessmentsRequest(code="petitions"))
    assert [s.version for s in latest.special_assessments] == [second.special_assessment.version]


async def test_list_pages_through_every_special_assessment(services_stack):
    await import_sample(services_stack.admin)
    seen, token = [], ""
    while True:
        page = await services_stack.admin.indicators.ListSpecialAssessments(
            pb.ListSpecialAssessmentsRequest(page_size=3, page_token=token)
        )
        seen += [s.code for s in page.special_assessments]
        token = page.next_page_token
        if not token:
            break
    assert seen == sorted(p.stem for p in SPECIAL_ASSESSMENTS)


async def test_assessor_imports_only_its_own_line_departments_special_assessment(stack):
    path = EXAMPLE / "special-assessments" / "rule-of-law.yaml"
    owner = "justice-bureau"
    assert f"owner: {owner}" in path.read_text()
    other = stack.as_(Role.ASSESSOR, department="emergency-bureau")
    before = await counts(stack.pool("indicators"))
    err = await rejected(
        other.indicators.ImportSpecialAssessment(
            pb.ImportSpecialAssessmentRequest(file=file_source(path))
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    assert (
        err.details() == "owner: line department 'emergency-bureau' may not act on "
        f"'{owner}''s special assessment"
    )
    assert await counts(stack.pool("indicators")) == before

    own = stack.as_(Role.ASSESSOR, department=owner)
    stored = await own.indicators.ImportSpecialAssessment(
        pb.ImportSpecialAssessmentRequest(file=file_source(path))
    )
    assert stored.special_assessment.owner == owner
    assert stored.special_assessment.imported_by == f"assessor:{owner}"


async def test_assessor_cannot_take_over_another_departments_code_by_renaming_the_owner(stack):
    path = EXAMPLE / "special-assessments" / "clean-governance.yaml"
    await stack.admin.indicators.ImportSpecialAssessment(
        pb.ImportSpecialAssessmentRequest(file=file_source(path))
    )
    hijack = path.read_text().replace("owner: discipline-commission", "owner: emergency-bureau", 1)
    assert hijack != path.read_text()
    before = await counts(stack.pool("indicators"))
    err = await rejected(
        stack.as_(Role.ASSESSOR, department="emergency-bureau").indicators.ImportSpecialAssessment(
            pb.ImportSpecialAssessmentRequest(file=source(path.name, hijack))
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    assert err.details().startswith(
        "code: line department 'emergency-bureau' may not act on 'discipline-commission'"
    )
    assert await counts(stack.pool("indicators")) == before


@pytest.mark.parametrize("role", [Role.UNIT, Role.AUDITOR])
async def test_units_and_auditors_cannot_import(stack, role):
    clients = stack.as_(role, unit="baiquan-town" if role is Role.UNIT else "")
    before = await counts(stack.pool("indicators"))
    await rejected(
        clients.indicators.ImportSpecialAssessment(
            pb.ImportSpecialAssessmentRequest(file=file_source(SPECIAL_ASSESSMENTS[0]))
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    await rejected(import_units(clients), grpc.StatusCode.PERMISSION_DENIED)
    assert await counts(stack.pool("indicators")) == before


async def test_repeated_request_id_returns_the_original_response(stack):
    path = EXAMPLE / "special-assessments" / "party-building.yaml"
    request = pb.ImportSpecialAssessmentRequest(request_id="import-pb-1", file=file_source(path))
    first = await stack.admin.indicators.ImportSpecialAssessment(request)
    before = await counts(stack.pool("indicators"))
    again = await stack.admin.indicators.ImportSpecialAssessment(request)
    assert again == first
    assert await counts(stack.pool("indicators")) == before


# -- units ----------------------------------------------------------------------------------------


async def test_units_import_from_yaml_and_excel_insert_then_update(services_stack):
    admin = services_stack.admin.indicators
    first = await import_units(services_stack.admin)
    assert (first.created, first.updated, first.unchanged) == (24, 0, 0)
    again = await import_units(services_stack.admin)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 24)

    listed = await admin.ListUnits(pb.ListUnitsRequest(page_size=1000))
    from services.indicators.model import UnitDef

    units = [UnitDef(u.code, u.name, u.kind, u.group, u.contact, u.head) for u in listed.units]
    changed = [
        u if u.code != "finance" else UnitDef(u.code, "财政局（新）", u.kind, u.group)
        for u in units
    ]
    workbook = workbooks.units_workbook([asdict(u) for u in changed])
    result = await admin.ImportUnits(pb.ImportUnitsRequest(file=source("units.xlsx", workbook)))
    assert (result.created, result.updated, result.unchanged) == (0, 1, 23)
    finance = await admin.ListUnits(pb.ListUnitsRequest(kind="department", group="economic-dept"))
    assert "财政局（新）" in [u.name for u in finance.units]
    assert {u.kind for u in finance.units} == {"department"}


# (old, new, anchor of the reported line, expected field and reason)
BAD_UNITS = [
    (
        "{code: finance, name: 财政局, kind: department",
        "{code: finance, name: 财政局, kind: 部门",
        "kind: 部门",
        "unit finance.kind: is required: a unit kind such as township or department",
    ),
    (
        "{code: commerce,",
        "{code: finance,",
        "{code: finance, name: 商务局",
        "unit finance.code: duplicate unit code 'finance'",
    ),
    (
        "{code: health, name: 卫生健康委员会, kind: department, group: social-dept}",
        "{code: health, name: 卫生健康委员会, kind: department}",
        "{code: health",
        "unit health.group: is required",
    ),
]


@pytest.mark.parametrize(("old", "new", "anchor", "expected"), BAD_UNITS)
async def test_bad_unit_list_is_rejected_and_changes_nothing(stack, old, new, anchor, expected):
    text = edited((EXAMPLE / "units.yaml").read_text(), old, new)
    before = await counts(stack.pool("indicators"))
    err = await rejected(
        stack.admin.indicators.ImportUnits(pb.ImportUnitsRequest(file=source("units.yaml", text))),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert f"units.yaml:{line_of(text, anchor)}: {expected}" in err.details()
    assert await counts(stack.pool("indicators")) == before


async def test_a_unit_lists_only_itself(services_stack):
    await import_units(services_stack.admin)
    unit = services_stack.as_(Role.UNIT, unit="baiquan-town")
    listed = await unit.indicators.ListUnits(pb.ListUnitsRequest())
    assert [u.code for u in listed.units] == ["baiquan-town"]
    everyone = await services_stack.as_(Role.AUDITOR).indicators.ListUnits(
        pb.ListUnitsRequest(page_size=1000)
    )
    assert len(everyone.units) == 24


async def test_city_kinds_come_from_its_unit_list(services_stack):
    """A kind the city's units use (here 'enterprise') becomes known to special assessments."""
    stack = services_stack
    text = "units:\n  - {code: port-group, name: 港务集团, kind: enterprise, group: soe}\n"
    await stack.admin.indicators.ImportUnits(
        pb.ImportUnitsRequest(file=source("more-units.yaml", text))
    )
    doc = edited(
        WORK_SAFETY, "applies_to: [township, department]", "applies_to: [township, enterprise]"
    )
    doc = edited(doc, "    applies_to: [department]\n", "")
    doc = edited(doc, "code: work-safety", "code: soe-safety")
    stored = await stack.admin.indicators.ImportSpecialAssessment(
        pb.ImportSpecialAssessmentRequest(file=source("soe.yaml", doc))
    )
    assert list(stored.special_assessment.applies_to) == ["township", "enterprise"]
