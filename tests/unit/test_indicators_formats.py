"""Reading special assessments and units from YAML, Excel and CISO Assistant libraries (pure)."""

from __future__ import annotations

import io
from dataclasses import asdict

import openpyxl
import pytest

from oneassess.client import workbooks
from oneassess.contract.workbooks import INDICATORS_SHEET
from services.common.errors import InvalidArgument
from services.indicators.formats import read_special_assessment, read_units
from services.indicators.model import UNIT_KINDS
from tests.conftest import EXAMPLE

SAMPLES = sorted((EXAMPLE / "special-assessments").glob("*.yaml"))


def problems_of(call) -> list[str]:
    with pytest.raises(InvalidArgument) as err:
        call()
    return [str(v) for v in err.value.violations]


# -- Excel ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_yaml_to_excel_to_import_gives_the_same_catalogue(path):
    from_yaml = read_special_assessment(path.name, path.read_bytes())
    workbook = workbooks.special_assessment_workbook(from_yaml.to_dict())
    from_excel = read_special_assessment(f"{path.stem}.xlsx", workbook)
    assert from_excel == from_yaml
    assert from_excel.sha256 == from_yaml.sha256


def test_template_has_headers_and_one_example_row_that_imports():
    template = workbooks.special_assessment_workbook()
    wb = openpyxl.load_workbook(io.BytesIO(template))
    assert [c.value for c in wb["indicators"][1]] == list(INDICATORS_SHEET.columns)
    assert [c.value for c in wb["evidence"][1]] == ["key", "name", "formats"]
    assert wb["indicators"].max_row == 2 and wb["evidence"].max_row == 2
    assert wb["equivalences"].max_row == 1  # header only
    doc = read_special_assessment("template.xlsx", template)
    assert (doc.code, [i.code for i in doc.indicators], [e.key for e in doc.evidence]) == (
        "work-safety",
        ["ws-03"],
        ["training-records"],
    )


def _edited_template(edit) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(workbooks.special_assessment_workbook()))
    edit(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_workbook_problems_name_sheet_and_cell():
    def edit(wb):
        wb["indicators"]["F2"] = "A=1, B"  # grades cell: B has no share
        wb["indicators"]["K2"] = "training-records, drill-records"  # undeclared key
        wb["evidence"]["C2"] = "pdf, word document"  # not a file extension
        wb["special_assessment"]["B6"] = "township, village"  # applies_to
        wb["indicators"]["L1"] = "weight"  # unknown column

    found = problems_of(lambda: read_special_assessment("ws.xlsx", _edited_template(edit)))
    assert (
        "ws.xlsx:indicators!F2: indicators.grades: 'B' is not LETTER=SHARE (e.g. A=1, B=0.8)"
        in found
    )
    assert (
        "ws.xlsx:indicators!L1: indicators.weight: unknown column (expected: "
        + ", ".join(INDICATORS_SHEET.columns)
        + ")"
        in found
    )
    assert (
        "ws.xlsx:indicators!K2: indicator ws-03.evidence: names evidence key 'drill-records' "
        "that this file does not declare under evidence" in found
    )
    assert (
        "ws.xlsx:evidence!C2: evidence[0].formats: 'word document' is not a file extension "
        "such as pdf, docx or xlsx" in found
    )
    assert (
        "ws.xlsx:special_assessment!B6: applies_to: unknown unit kind 'village' (known: "
        "township, department); the kinds of imported units are known too" in found
    )


def test_workbook_missing_sheet_and_column_are_named():
    def edit(wb):
        del wb["evidence"]
        wb["indicators"]["D1"] = None  # the method column

    found = problems_of(lambda: read_special_assessment("ws.xlsx", _edited_template(edit)))
    assert (
        "ws.xlsx:evidence: evidence: sheet is missing (expected sheets: special_assessment, "
        "evidence, indicators)" in found
    )
    assert "ws.xlsx:indicators!1: indicators.method: column is missing from the header row" in found


def test_workbook_numbers_typed_as_text_are_read_as_numbers_and_codes_stay_text():
    def edit(wb):
        wb["indicators"]["C2"] = "2"
        wb["indicators"]["E2"] = "0.95"
        wb["indicators"]["A2"] = 2026  # a code typed as a number is the code "2026"

    doc = read_special_assessment("ws.xlsx", _edited_template(edit))
    assert (doc.indicators[0].code, doc.indicators[0].points, doc.indicators[0].target) == (
        "2026",
        2.0,
        0.95,
    )


def test_unit_workbook_round_trip_and_problems():
    units = read_units("units.yaml", (EXAMPLE / "units.yaml").read_bytes())
    assert read_units("units.xlsx", workbooks.units_workbook([asdict(u) for u in units])) == units
    wb = openpyxl.load_workbook(io.BytesIO(workbooks.units_workbook([asdict(u) for u in units])))
    wb["units"]["C3"] = "镇街"
    out = io.BytesIO()
    wb.save(out)
    found = problems_of(lambda: read_units("units.xlsx", out.getvalue()))
    assert found == [
        "units.xlsx:units!C3: unit linhai-street.kind: is required: a unit kind such as "
        "township or department "
        "(letters, digits, '-', '_' or '.', at most 63, starting with a letter or digit), got "
        "'镇街'"
    ]


def test_formats_are_any_file_extensions_and_optional():
    text = (EXAMPLE / "special-assessments" / "work-safety.yaml").read_text()
    text = text.replace("formats: [pdf, docx]}", "formats: [OFD, .wps]}", 1)
    text = text.replace(
        "{key: annual-work-summary, name: 年度工作总结, formats: [pdf, docx]}",
        "{key: annual-work-summary, name: 年度工作总结}",
    )
    doc = read_special_assessment("ws.yaml", text.encode())
    by_key = doc.evidence_by_key()
    assert by_key["annual-work-plan"].formats == ("ofd", "wps")
    assert by_key["annual-work-summary"].formats == ()


def test_special_assessment_without_applies_to_applies_to_every_known_kind():
    text = (
        (EXAMPLE / "special-assessments" / "work-safety.yaml")
        .read_text()
        .replace("applies_to: [township, department]\n", "", 1)
    )
    doc = read_special_assessment(
        "ws.yaml", text.encode(), kinds=("department", "street", "township")
    )
    assert doc.applies_to == ("department", "street", "township")


def test_unit_list_may_be_a_bare_list_with_a_byte_order_mark():
    text = "\ufeff- {code: A-1, name: 甲, kind: street, group: g}\n"
    assert [(u.code, u.kind) for u in read_units("units.yaml", text.encode())] == [
        ("A-1", "street")
    ]


def test_empty_file_is_rejected():
    assert problems_of(lambda: read_special_assessment("ws.yaml", b"")) == [
        "ws.yaml: file.content: is empty"
    ]


# -- CISO Assistant -------------------------------------------------------------------------------

CISO_LIBRARY = """\
urn: urn:haizhou:risk:library:data-security
locale: zh
ref_id: data-security
name: 数据安全专项考核
description: 数据安全工作考核（CISO Assistant 库格式）
copyright: 海州市
version: 1
provider: big-data-bureau
packager: haizhou
objects:
  framework:
    urn: urn:haizhou:risk:framework:data-security
    ref_id: DATA-SECURITY
    name: 数据安全专项考核
    description: 数据安全
    translations:
      en:
        name: Data security
    min_score: 0
    max_score: 3
    scores_definition:
    - score: 0
      name: 未落实
    - score: 1
      name: 部分落实
    - score: 2
      name: 基本落实
    - score: 3
      name: 全面落实
    implementation_groups_definition:
    - ref_id: township
      name: 镇街
    - ref_id: department
      name: 部门
    requirement_nodes:
    - urn: urn:haizhou:risk:req_node:data-security:1
      assessable: false
      depth: 1
      ref_id: '1'
      name: 制度建设
    - urn: urn:haizhou:risk:req_node:data-security:1.1
      assessable: true
      depth: 2
      parent_urn: urn:haizhou:risk:req_node:data-security:1
      ref_id: DS-1.1
      name: 数据安全管理制度
      typical_evidence: |
        - 数据安全管理制度文件
        - 制度印发通知
      weight: 3
    - urn: urn:haizhou:risk:req_node:data-security:1.2
      assessable: true
      depth: 2
      parent_urn: urn:haizhou:risk:req_node:data-security:1
      ref_id: DS-1.2
      name: 数据分类分级
      implementation_groups: [department]
  requirement_mapping_sets:
  - urn: urn:haizhou:risk:req_mapping_set:data-security-to-digital
    ref_id: data-security-to-digital
    name: 数据安全 -> 数字化改革
    source_framework_urn: urn:haizhou:risk:framework:data-security
    target_framework_urn: urn:haizhou:risk:framework:digital-security
    requirement_mappings:
    - source_requirement_urn: urn:haizhou:risk:req_node:data-security:1.1
      target_requirement_urn: urn:haizhou:risk:req_node:digital-security:3
      relationship: equal
    - source_requirement_urn: urn:haizhou:risk:req_node:data-security:1.2
      target_requirement_urn: urn:haizhou:risk:req_node:digital-security:4
      relationship: intersect
"""


def test_ciso_library_becomes_a_special_assessment():
    doc = read_special_assessment("data-security.yaml", CISO_LIBRARY.encode())
    assert (doc.code, doc.name, doc.name_en, doc.owner, doc.applies_to) == (
        "data-security",
        "数据安全专项考核",
        "Data security",
        "big-data-bureau",
        ("township", "department"),
    )
    assert [(e.key, e.name) for e in doc.evidence] == [
        ("data-security.1.1", "数据安全管理制度文件；制度印发通知"),
        ("data-security.1.2", "数据分类分级"),
    ]
    first, second = doc.indicators
    assert (first.code, first.points, first.method, first.evidence, first.applies_to) == (
        "ds-1.1",
        3.0,
        "grade",
        ("data-security.1.1",),
        (),
    )
    assert first.grades == (("0", 0.0), ("1", 0.333333), ("2", 0.666667), ("3", 1.0))
    assert (second.points, second.applies_to) == (1.0, ("department",))
    # only the `equal` mapping makes two documents one
    assert doc.equivalences == (("data-security.1.1", "digital-security.3"),)


def test_ciso_library_without_scores_is_a_one_item_checklist_for_every_known_kind():
    text = (
        CISO_LIBRARY.split("    min_score: 0")[0]
        + "    requirement_nodes:"
        + CISO_LIBRARY.split("    requirement_nodes:")[1]
    )
    doc = read_special_assessment("lib.yaml", text.encode(), kinds=(*UNIT_KINDS, "enterprise"))
    assert doc.applies_to == ("department", "enterprise", "township")
    assert {(i.method, i.items) for i in doc.indicators} == {("checklist", 1)}


def test_ciso_problems_name_the_line():
    text = CISO_LIBRARY.replace("    - ref_id: department\n", "    - ref_id: village\n")
    text = text.replace("      relationship: intersect", "      relationship: similar")
    text = text.replace("provider: big-data-bureau\n", "")
    found = problems_of(lambda: read_special_assessment("lib.yaml", text.encode()))
    lines = text.splitlines()
    village = next(
        i for i, line in enumerate(lines, 1) if "implementation_groups_definition" in line
    )
    similar = next(i for i, line in enumerate(lines, 1) if "relationship: similar" in line)
    assert (
        f"lib.yaml:{similar}: requirement_mappings[1].relationship: unknown relationship "
        "'similar' (known: equal, subset, superset, intersect, not_related)" in found
    )
    assert (
        f"lib.yaml:{village}: applies_to: unknown unit kind 'village' (known: township, "
        "department); the kinds of imported units are known too" in found
    )
    assert any(p.endswith("owner: is required (a non-empty string)") for p in found)
    # the indicator limited to `department` is now outside the kinds the library applies to
    assert any(
        "indicator ds-1.2.applies_to: kind 'department' is not one the special assessment "
        "applies to" in p
        for p in found
    )


def test_ciso_mapping_between_two_other_libraries_is_rejected():
    text = CISO_LIBRARY.replace(
        "source_requirement_urn: urn:haizhou:risk:req_node:data-security:1.1",
        "source_requirement_urn: urn:haizhou:risk:req_node:other:1",
    )
    found = problems_of(lambda: read_special_assessment("lib.yaml", text.encode()))
    assert len(found) == 1
    assert found[0].endswith(
        "requirement_mappings[0]: maps two requirements of other libraries; an equal mapping "
        "must name a requirement of this framework"
    )


def test_declared_ciso_format_on_a_plain_yaml_file_is_rejected():
    path = SAMPLES[0]
    found = problems_of(lambda: read_special_assessment(path.name, path.read_bytes(), "ciso"))
    assert found == [
        f"{path.name}: objects.framework: a CISO Assistant library needs objects.framework"
    ]
