"""Review sheets (pure, bytes in and out): the CSV/Excel template and its import.

One row per unit and indicator. Columns: unit_code, special_assessment_code, indicator_code,
then the judgement columns (value, grade, items_met, occurrences, claimed, failed) of which a
row fills the one its indicator's method reads, and comment. The template adds read-only
columns (names, method, how it scores) that the import ignores. Row numbers are the sheet's
(the header is row 1), so an error points at the row a person sees.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from services.common.errors import InvalidArgument, PermissionDenied, Violation
from services.common.workbooks import check_workbook
from services.scoring.model import Catalogue, IndicatorKey, IndicatorRule
from services.scoring.numbers import decimal_text
from services.scoring.reviews import INPUT_FIELDS, Judged, check, check_comment

KEY_COLUMNS = ("unit_code", "special_assessment_code", "indicator_code")
TEMPLATE_COLUMNS = (
    "unit_code",
    "unit_name",
    "special_assessment_code",
    "indicator_code",
    "indicator_name",
    "method",
    "how_it_scores",
    *INPUT_FIELDS,
    "comment",
)
MAX_ROWS = 200_000
MAX_COLUMNS = 64  # cells read per row; the template has a dozen columns


@dataclass(frozen=True)
class SheetRow:
    row: int
    unit: str
    indicator: IndicatorKey
    given: dict[str, object]  # judgement columns that are filled
    comment: str


@dataclass(frozen=True)
class ImportedReview:
    row: int
    unit: str
    rule: IndicatorRule
    judged: Judged
    comment: str


def read_sheet(name: str, content: bytes) -> list[SheetRow]:
    """Rows of a CSV or Excel review sheet; raises InvalidArgument for an unreadable file."""
    if not content:
        raise InvalidArgument.field("file.content", "is empty", name)
    lower = name.lower()
    if lower.endswith(".xlsx"):
        table = _xlsx_rows(name, content)
    elif lower.endswith(".csv"):
        table = _csv_rows(name, content)
    else:
        raise InvalidArgument.field("file.name", f"must end in .csv or .xlsx (got {name!r})", name)
    return _sheet_rows(name, table)


def decode_csv_text(name: str, content: bytes) -> str:
    """A CSV's text: UTF-8 (with or without the BOM Excel writes), else GB18030 — what Excel
    saves as "CSV" on a Chinese Windows machine (GB18030 is a superset of GBK and GB2312)."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_err:
        try:
            return content.decode("gb18030")
        except UnicodeDecodeError as err:
            raise InvalidArgument.field(
                "file",
                f"neither UTF-8 nor GB18030 text (UTF-8 fails at byte {utf8_err.start}, "
                f"GB18030 at byte {err.start})",
                name,
            ) from err


def _csv_rows(name: str, content: bytes) -> Iterable[tuple[int, list[object]]]:
    text = decode_csv_text(name, content)
    reader = csv.reader(io.StringIO(text))
    try:
        rows = []
        for row in reader:
            if len(rows) > MAX_ROWS:
                raise InvalidArgument.field(
                    "file", f"has more than {MAX_ROWS} rows: split it", name
                )
            rows.append((reader.line_num, row[:MAX_COLUMNS]))
        return rows
    except csv.Error as err:
        raise InvalidArgument.field(
            "file", f"not valid CSV at line {reader.line_num}: {err}", name
        ) from err


def _xlsx_rows(name: str, content: bytes) -> Iterable[tuple[int, list[object]]]:
    from zipfile import BadZipFile

    import openpyxl

    # Counted on the raw XML first (fast, flat memory), then read row by row as openpyxl
    # streams them, stopping at the limit whatever the sheet's declared dimension says.
    check_workbook(content, name=name, max_rows=MAX_ROWS)
    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (BadZipFile, KeyError, ValueError, OSError) as err:
        raise InvalidArgument.field("file", f"not an Excel workbook (.xlsx): {err}", name) from err
    try:
        sheet = book["reviews"] if "reviews" in book.sheetnames else book.worksheets[0]
        rows: list[tuple[int, list[object]]] = []
        for i, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if i > MAX_ROWS + 1:
                raise InvalidArgument.field(
                    "file", f"has more than {MAX_ROWS} rows: split it", name
                )
            rows.append((i, list(row[:MAX_COLUMNS])))
        return rows
    finally:
        book.close()


def _cell(value: object) -> object:
    if isinstance(value, str):
        return value.strip()
    return value


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _sheet_rows(name: str, table: Iterable[tuple[int, list[object]]]) -> list[SheetRow]:
    rows = iter(table)
    header_row = next(rows, None)
    if header_row is None:
        raise InvalidArgument.field("file", "has no header row", name)
    header = [str(h).strip().lower() if h is not None else "" for h in header_row[1]]
    missing = [c for c in KEY_COLUMNS if c not in header]
    if missing:
        raise InvalidArgument.field(
            "header",
            f"missing column(s) {', '.join(missing)} (oneassess reviews template writes the sheet)",
            f"{name} row 1",
        )
    index = {c: header.index(c) for c in (*KEY_COLUMNS, *INPUT_FIELDS, "comment") if c in header}

    def get(cells: Sequence[object], column: str) -> object:
        i = index.get(column)
        return _cell(cells[i]) if i is not None and i < len(cells) else None

    out: list[SheetRow] = []
    for number, cells in rows:
        if all(_blank(c) for c in cells):
            continue
        if len(out) >= MAX_ROWS:
            raise InvalidArgument.field("file", f"has more than {MAX_ROWS} rows: split it", name)
        given = {f: get(cells, f) for f in INPUT_FIELDS if not _blank(get(cells, f))}
        comment = get(cells, "comment")
        out.append(
            SheetRow(
                number,
                str(get(cells, "unit_code") or ""),
                (
                    str(get(cells, "special_assessment_code") or ""),
                    str(get(cells, "indicator_code") or ""),
                ),
                given,
                "" if comment is None else str(comment),
            )
        )
    return out


def validate_rows(
    name: str, rows: Sequence[SheetRow], catalogue: Catalogue, may_review: Callable[[str], bool]
) -> tuple[list[ImportedReview], int]:
    """Valid reviews and the number of blank rows; every bad row reported at once.

    `may_review(owner)` says whether the caller may review a special assessment owned by
    `owner`; rows it refuses raise PERMISSION_DENIED (naming the rows), nothing imported.
    """
    valid: list[ImportedReview] = []
    problems: list[Violation] = []
    refused: list[str] = []
    seen: dict[tuple[str, IndicatorKey], int] = {}
    blank = 0
    for r in rows:
        where = f"{name} row {r.row}"
        unit = catalogue.unit(r.unit)
        rule = catalogue.indicator(r.indicator)
        if not r.unit:
            problems.append(Violation("unit_code", "is required", where))
            continue
        if unit is None:
            problems.append(
                Violation(
                    "unit_code",
                    f"unit {r.unit!r} is not assessed in cycle {catalogue.cycle_code!r}",
                    where,
                )
            )
            continue
        if rule is None:
            problems.append(
                Violation(
                    "indicator_code",
                    f"no indicator {r.indicator[0]}/{r.indicator[1]} in cycle"
                    f" {catalogue.cycle_code!r}",
                    where,
                )
            )
            continue
        owner = catalogue.special_assessment(rule.special_assessment).owner
        if not may_review(owner):
            refused.append(f"row {r.row} ({rule.special_assessment}, owned by {owner})")
            continue
        if unit.kind not in rule.applies_to:
            problems.append(
                Violation(
                    "indicator_code",
                    f"{rule.special_assessment}/{rule.code} does not apply to {unit.kind}"
                    f" units like {unit.code}",
                    where,
                )
            )
            continue
        if not r.given:
            blank += 1
            continue
        pair = (unit.code, rule.key)
        if pair in seen:
            problems.append(
                Violation(
                    "indicator_code",
                    f"{unit.code} {rule.special_assessment}/{rule.code} is already on row"
                    f" {seen[pair]}",
                    where,
                )
            )
            continue
        seen[pair] = r.row
        judged = check(rule, r.given, prefix="")
        if isinstance(judged, Violation):
            problems.append(Violation(judged.field, judged.reason, where))
            continue
        try:
            comment = check_comment(r.comment)
        except InvalidArgument as err:
            problems.append(Violation("comment", err.violations[0].reason, where))
            continue
        valid.append(ImportedReview(r.row, unit.code, rule, judged, comment))
    if refused:
        raise PermissionDenied(
            f"{name}: your line department may not review {len(refused)} row(s): "
            + "; ".join(refused[:20]),
            "OTHER_DEPARTMENT",
            metadata={"field": "special_assessment_code"},
        )
    if problems:
        raise InvalidArgument.many(f"review sheet {name} was rejected, nothing imported", problems)
    return valid, blank


# -- template -------------------------------------------------------------------------------


def how_it_scores(rule: IndicatorRule) -> str:
    p = decimal_text(rule.points)
    m = rule.method
    if m == "ratio":
        return f"value: min(value / {decimal_text(rule.target)}, 1) x {p}"
    if m == "grade":
        return "grade: " + ", ".join(f"{g}={decimal_text(s)}" for g, s in rule.grades) + f" (x {p})"
    if m == "checklist":
        return f"items_met: 0..{rule.items} (x {p} / {rule.items})"
    if m == "deduction":
        return f"occurrences: {p} - {decimal_text(rule.deduct_per)} per occurrence, floor 0"
    if m == "bonus":
        return f"claimed: extra points, at most {decimal_text(rule.max)}"
    return "failed: true caps the unit's tier"


def template_rows(
    catalogue: Catalogue,
    special_assessment: str,
    names: Mapping[str, str],
    latest: Mapping[tuple[str, IndicatorKey], tuple[dict[str, str], str]],
) -> list[list[object]]:
    """Every (unit, indicator) of the special assessment, pre-filled with the latest review."""
    rules = [r for r in catalogue.indicators if r.special_assessment == special_assessment]
    out: list[list[object]] = []
    for unit in sorted(catalogue.units, key=lambda u: u.code):
        for rule in rules:
            if unit.kind not in rule.applies_to:
                continue
            shown, comment = latest.get((unit.code, rule.key), ({}, ""))
            out.append(
                [
                    unit.code,
                    names.get(unit.code, ""),
                    rule.special_assessment,
                    rule.code,
                    names.get(f"{rule.special_assessment}/{rule.code}", ""),
                    rule.method,
                    how_it_scores(rule),
                    *(shown.get(f, "") for f in INPUT_FIELDS),
                    comment,
                ]
            )
    return out


def write_template(rows: Sequence[Sequence[object]], fmt: str) -> bytes:
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(TEMPLATE_COLUMNS)
        writer.writerows(rows)
        return buffer.getvalue().encode("utf-8-sig")  # BOM: Excel opens Chinese text right
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "reviews"
    sheet.append(list(TEMPLATE_COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_excel_value(v) for v in row])
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _excel_value(value: object) -> object:
    return value if value != "" else None
