"""Catalogue files on the client side: what kind a file plainly is, the tolerance file a
cycle plan names, and the Excel workbooks people fill in (the import format of
docs/catalogue-format.md).

Nothing here validates: a file goes to the indicators service as it is, and the service
answers every problem at once. The client only needs to tell a unit list from a special
assessment before sending it, and to write an empty (or pre-filled) workbook.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from oneassess.contract.workbooks import (
    CATALOGUE_SHEETS,
    EQUIVALENCES_SHEET,
    EVIDENCE_SHEET,
    INDICATOR_COLUMNS,
    INDICATORS_SHEET,
    META_FIELDS,
    META_SHEET,
    UNITS_SHEET,
    Sheet,
)

SPECIAL_ASSESSMENT = "special_assessment"
UNITS = "units"
CYCLE_PLAN = "cycle plan"
TOLERANCE = "tolerance"
OTHER = "other"

SPECIAL_ASSESSMENT_FIELDS = frozenset({"indicators", "evidence", "owner"})

EXAMPLE_SPECIAL_ASSESSMENT: dict[str, Any] = {
    "code": "work-safety",
    "name": "安全生产专项考核",
    "name_en": "Work safety",
    "owner": "emergency-bureau",
    "applies_to": ["township", "department"],
    "evidence": [
        {"key": "training-records", "name": "安全生产培训台账", "formats": ["xlsx", "pdf"]}
    ],
    "indicators": [
        {
            "code": "ws-03",
            "name": "安全生产培训覆盖率",
            "points": 2.0,
            "method": "ratio",
            "target": 0.95,
            "evidence": ["training-records"],
        }
    ],
}
EXAMPLE_UNIT = {
    "code": "baiquan-town",
    "name": "白泉镇",
    "kind": "township",
    "group": "town",
    "contact": "office@baiquan.example.gov.cn",
}


# -- what kind of file ---------------------------------------------------------------------------


def sheet_names(content: bytes) -> list[str]:
    """The sheet names of an .xlsx package, read from its workbook part (no cell is parsed)."""
    from xml.etree import ElementTree

    with zipfile.ZipFile(io.BytesIO(content)) as package:
        root = ElementTree.fromstring(package.read("xl/workbook.xml"))
    return [e.get("name", "") for e in root.iter() if e.tag.rsplit("}", 1)[-1] == "sheet"]


def kind_of_file(file_name: str, content: bytes) -> str:
    """SPECIAL_ASSESSMENT, UNITS, CYCLE_PLAN, TOLERANCE or OTHER, from a plain look at the file.

    A file that cannot be read at all counts as a special assessment: the service then says
    exactly what is wrong with it."""
    try:
        if file_name.lower().endswith(".xlsx"):
            sheets = set(sheet_names(content))
            if sheets & CATALOGUE_SHEETS:
                return SPECIAL_ASSESSMENT
            return UNITS if UNITS_SHEET.name in sheets else OTHER
        document = yaml.safe_load(content)
    except Exception:
        return SPECIAL_ASSESSMENT
    if isinstance(document, list):
        return UNITS if all(isinstance(u, dict) and "kind" in u for u in document) else OTHER
    if not isinstance(document, dict):
        return OTHER
    if SPECIAL_ASSESSMENT_FIELDS & document.keys() or isinstance(document.get("objects"), dict):
        return SPECIAL_ASSESSMENT
    if "units" in document:
        return UNITS
    if "calendar" in document and "special_assessments" in document:
        return CYCLE_PLAN
    if "tolerated" in document or "never_tolerated" in document:
        return TOLERANCE
    return OTHER


def tolerance_named_by(plan_path: Path) -> Path | None:
    """The tolerance catalogue a cycle plan names (`tolerance: FILE`, next to the plan)."""
    try:
        document = yaml.safe_load(plan_path.read_bytes())
    except yaml.YAMLError:
        return None  # the service reports the syntax error with its line
    named = document.get("tolerance") if isinstance(document, dict) else None
    return plan_path.parent / named if isinstance(named, str) and named else None


# -- writing -------------------------------------------------------------------------------------


def _number(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _listed(value: Any) -> str | None:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or None
    return value


def _grades(value: Any) -> Any:
    if isinstance(value, dict):
        return ", ".join(f"{letter}={_number(share)}" for letter, share in value.items()) or None
    if isinstance(value, list | tuple):  # [[letter, share], ...]
        return ", ".join(f"{pair[0]}={_number(pair[1])}" for pair in value) or None
    return value


def _indicator_row(indicator: dict[str, Any]) -> list[Any]:
    row = []
    for column in INDICATOR_COLUMNS:
        value = indicator.get(column)
        if column == "grades":
            row.append(_grades(value))
        elif column in ("applies_to", "evidence"):
            row.append(_listed(value))
        else:
            row.append(_number(value))
    return row


def _workbook():
    from openpyxl import Workbook

    return Workbook()


def _write_table(wb, sheet: Sheet, rows: Sequence[Sequence[Any]]) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(sheet.name)
    ws.append(list(sheet.columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(list(row))
    for index, column in enumerate(sheet.columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = max(12, len(column) + 4)


def _guide(wb, sheets: Sequence[Sheet], intro: str) -> None:
    ws = wb.create_sheet("guide")
    ws.append([intro])
    ws.append([])
    for sheet in sheets:
        ws.append(
            [
                sheet.name,
                sheet.help,
                "columns: " + ", ".join(sheet.columns),
                "required: " + ", ".join(sheet.required),
            ]
        )
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 100


def _save(wb) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def special_assessment_workbook(document: dict[str, Any] | None = None) -> bytes:
    """A workbook holding a special assessment written as in its YAML file (by default the
    one-row example used as the template)."""
    from openpyxl.styles import Font

    document = document if document is not None else EXAMPLE_SPECIAL_ASSESSMENT
    wb = _workbook()
    meta = wb.active
    meta.title = META_SHEET
    meta.append(["field", "value"])
    for cell in meta[1]:
        cell.font = Font(bold=True)
    for field in META_FIELDS:
        value = document.get(field, "")
        meta.append([field, _listed(value) if isinstance(value, list | tuple) else value])
    meta.column_dimensions["A"].width = 14
    meta.column_dimensions["B"].width = 40
    evidence = [
        (e.get("key"), e.get("name"), _listed(e.get("formats") or []) or None)
        for e in document.get("evidence") or []
    ]
    _write_table(wb, EVIDENCE_SHEET, evidence)
    indicators = [_indicator_row(i) for i in document.get("indicators") or []]
    _write_table(wb, INDICATORS_SHEET, indicators)
    _write_table(wb, EQUIVALENCES_SHEET, [list(p) for p in document.get("equivalences") or []])
    _guide(
        wb,
        (EVIDENCE_SHEET, INDICATORS_SHEET, EQUIVALENCES_SHEET),
        "OneAssess special assessment workbook: fill special_assessment (code, name, name_en, "
        "owner, applies_to), evidence and indicators; see docs/catalogue-format.md. "
        "This sheet is ignored on import.",
    )
    return _save(wb)


def units_workbook(units: Sequence[dict[str, Any]] = (EXAMPLE_UNIT,)) -> bytes:
    """A unit list workbook (by default one example row)."""
    wb = _workbook()
    wb.remove(wb.active)
    rows = [[u.get(c) or None for c in UNITS_SHEET.columns] for u in units]
    _write_table(wb, UNITS_SHEET, rows)
    _guide(
        wb,
        (UNITS_SHEET,),
        "OneAssess unit list workbook; see docs/catalogue-format.md. "
        "This sheet is ignored on import.",
    )
    return _save(wb)


def special_assessment_from_yaml(file_name: str, content: bytes) -> dict[str, Any]:
    """A OneAssess YAML special assessment as written (not validated: importing does that)."""
    try:
        document = yaml.safe_load(content)
    except yaml.YAMLError as err:
        raise ValueError(f"{file_name}: not valid YAML: {err}") from err
    if not isinstance(document, dict) or not SPECIAL_ASSESSMENT_FIELDS & document.keys():
        raise ValueError(
            f"{file_name}: not a OneAssess special assessment (no indicators, evidence or owner)"
        )
    if isinstance(document.get("objects"), dict):
        raise ValueError(
            f"{file_name}: a CISO Assistant library; import it as it is with `catalog import`"
        )
    return document
