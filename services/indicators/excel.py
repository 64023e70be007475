"""Excel workbooks <-> the catalogue's raw form (pure: bytes in, bytes out, no I/O).

A special assessment workbook has three sheets (documented in docs/catalogue-format.md):
`special_assessment` (field | value rows), `evidence` and `indicators` (one row each), and an
optional `equivalences` sheet. A unit workbook has one `units` sheet. Lists go in one cell,
separated by commas; grades read `A=1, B=0.8`. Reading produces the same raw dicts as YAML,
plus a locator naming the sheet and cell of every value, so one validator checks both.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter

from oneassess.contract.workbooks import (
    EQUIVALENCES_SHEET,
    EVIDENCE_SHEET,
    INDICATORS_SHEET,
    META_FIELDS,
    META_SHEET,
    UNITS_SHEET,
    Sheet,
)
from services.common.errors import InvalidArgument
from services.common.workbooks import check_workbook
from services.indicators.catalog import Locate, Path_, table_locator
from services.indicators.sources import Problems

# Rows read from any one sheet: a catalogue of a city is a few hundred indicators and a few
# thousand units; anything larger is refused before (raw count) and while (stream) reading.
MAX_SHEET_ROWS = 20_000
LIST_FIELDS = frozenset({"applies_to", "formats", "evidence"})
NUMBER_FIELDS = frozenset({"points", "target", "items", "deduct_per", "max"})

_SPLIT = re.compile(r"[,，;；、\n]+")
_GRADE = re.compile(r"([^=:：]+?)\s*[=:：]\s*(.+)")


# -- reading -------------------------------------------------------------------------------------


def _open(content: bytes, file_name: str):
    check_workbook(content, name=file_name, max_rows=MAX_SHEET_ROWS)
    try:
        return openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as err:
        raise InvalidArgument.field(
            "file", f"not an Excel workbook (.xlsx): {err}", file_name
        ) from err


def _cell_value(value: Any, *, numeric: bool) -> Any:
    """Blank cells are empty; in number columns numbers typed as text become numbers, and in
    text columns numbers become text (a code typed as 2026 is the code '2026')."""
    if isinstance(value, str):
        value = value.strip()
        if not value or not numeric:
            return value or None
        try:
            number = float(value)
        except ValueError:
            return value
        return int(number) if number.is_integer() and "." not in value else number
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not numeric and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _split(value: Any) -> list[str]:
    if value is None:
        return []
    return [part.strip() for part in _SPLIT.split(str(value)) if part.strip()]


def _grades(value: Any, where: str, field: str, problems: Problems) -> dict[str, Any] | None:
    if value is None:
        return None
    grades: dict[str, Any] = {}
    for part in _split(value):
        match = _GRADE.fullmatch(part)
        if not match:
            problems.add(where, field, f"{part!r} is not LETTER=SHARE (e.g. A=1, B=0.8)")
            continue
        grades[match.group(1)] = _cell_value(match.group(2), numeric=True)
    return grades


def _rows(
    ws, sheet: Sheet, problems: Problems
) -> tuple[list[dict[str, Any]], list[int], dict[str, str]]:
    """Rows of a table sheet as {column: value}, their Excel row numbers, and column letters."""
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None) or ()
    letters: dict[str, str] = {}
    for index, title in enumerate(header):
        if title is None or not str(title).strip():
            continue
        column = str(title).strip().lower().replace(" ", "_").replace("-", "_")
        if column not in sheet.columns:
            problems.add(
                f"{sheet.name}!{get_column_letter(index + 1)}1",
                f"{sheet.name}.{column}",
                f"unknown column (expected: {', '.join(sheet.columns)})",
            )
            continue
        letters[column] = get_column_letter(index + 1)
    for column in sheet.required:
        if column not in letters:
            problems.add(
                f"{sheet.name}!1", f"{sheet.name}.{column}", "column is missing from the header row"
            )
    records, numbers = [], []
    for number, values in enumerate(rows, start=2):
        if number > MAX_SHEET_ROWS + 1:
            raise InvalidArgument.field(
                "file", f"sheet {sheet.name} has more than {MAX_SHEET_ROWS} rows: split it"
            )
        record = {}
        for column, letter in letters.items():
            index = openpyxl.utils.column_index_from_string(letter) - 1
            value = _cell_value(
                values[index] if index < len(values) else None, numeric=column in NUMBER_FIELDS
            )
            if value is not None:
                record[column] = value
        if record:
            records.append(record)
            numbers.append(number)
    return records, numbers, letters


def _table(
    wb,
    sheet: Sheet,
    problems: Problems,
    table: dict[Path_, str],
    *,
    list_name: str,
    required: bool = True,
) -> list[dict[str, Any]]:
    if sheet.name not in wb.sheetnames:
        if required:
            problems.add(
                sheet.name,
                sheet.name,
                f"sheet is missing (expected sheets: {', '.join(_expected(sheet))})",
            )
        return []
    records, numbers, letters = _rows(wb[sheet.name], sheet, problems)
    table[(list_name,)] = f"{sheet.name}!A1"
    items = []
    for i, (record, number) in enumerate(zip(records, numbers, strict=True)):
        table[(list_name, i)] = f"{sheet.name}!A{number}"
        item: dict[str, Any] = {}
        for column, value in record.items():
            where = f"{sheet.name}!{letters[column]}{number}"
            table[(list_name, i, column)] = where
            if column in LIST_FIELDS:
                item[column] = _split(value)
            elif column == "grades":
                item[column] = _grades(value, where, f"{sheet.name}.grades", problems)
            else:
                item[column] = value
        if sheet is INDICATORS_SHEET:
            item.setdefault("evidence", [])
        if sheet is EQUIVALENCES_SHEET:
            item = [item.get("key"), item.get("equal_key")]
        items.append(item)
    return items


def _expected(sheet: Sheet) -> tuple[str, ...]:
    if sheet is UNITS_SHEET:
        return (UNITS_SHEET.name,)
    return (META_SHEET, EVIDENCE_SHEET.name, INDICATORS_SHEET.name)


def read_special_assessment_workbook(
    content: bytes, file_name: str
) -> tuple[dict[str, Any], Locate, Problems]:
    """The workbook as the raw dict the validator takes, its locator, and the problems found
    reading it."""
    wb = _open(content, file_name)
    problems = Problems(file_name)
    table: dict[Path_, str] = {}
    raw: dict[str, Any] = {}
    if META_SHEET not in wb.sheetnames:
        problems.add(
            META_SHEET,
            META_SHEET,
            f"sheet is missing (expected sheets: {', '.join(_expected(INDICATORS_SHEET))})",
        )
    else:
        for number, values in enumerate(wb[META_SHEET].iter_rows(values_only=True), start=1):
            field = str(values[0]).strip().lower() if values and values[0] is not None else ""
            value = _cell_value(values[1], numeric=False) if len(values) > 1 else None
            if not field or (number == 1 and field == "field"):
                continue
            if field not in META_FIELDS:
                problems.add(
                    f"{META_SHEET}!A{number}",
                    field,
                    f"unknown field (expected: {', '.join(META_FIELDS)})",
                )
                continue
            table[(field,)] = f"{META_SHEET}!B{number}"
            if value is not None:
                raw[field] = _split(value) if field in LIST_FIELDS else value
    raw["evidence"] = _table(wb, EVIDENCE_SHEET, problems, table, list_name="evidence")
    raw["indicators"] = _table(wb, INDICATORS_SHEET, problems, table, list_name="indicators")
    raw["equivalences"] = _table(
        wb, EQUIVALENCES_SHEET, problems, table, list_name="equivalences", required=False
    )
    wb.close()
    return raw, table_locator(table, META_SHEET), problems


def read_units_workbook(
    content: bytes, file_name: str
) -> tuple[list[dict[str, Any]], Locate, Problems]:
    wb = _open(content, file_name)
    problems = Problems(file_name)
    table: dict[Path_, str] = {}
    units = _table(wb, UNITS_SHEET, problems, table, list_name="units")
    wb.close()
    return units, table_locator(table, UNITS_SHEET.name), problems


def sheet_names(content: bytes, file_name: str) -> list[str]:
    wb = _open(content, file_name)
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()
