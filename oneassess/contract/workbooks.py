"""The Excel import format of the catalogue (docs/catalogue-format.md), defined once: the
client writes workbooks in it (`oneassess.client.workbooks`) and the indicators service reads
them (`services.indicators.excel`).

A special assessment workbook has a `special_assessment` sheet (field | value rows), an
`evidence` and an `indicators` sheet (one row each) and an optional `equivalences` sheet; a
unit workbook has one `units` sheet. Every sheet's first row names its columns.
"""

from __future__ import annotations

from dataclasses import dataclass

META_SHEET = "special_assessment"
META_FIELDS = ("code", "name", "name_en", "owner", "applies_to")


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    help: str


EVIDENCE_SHEET = Sheet(
    "evidence",
    ("key", "name", "formats"),
    ("key", "name"),
    "One row per evidence requirement; formats: file extensions separated by commas "
    "(pdf, docx, xlsx, ...), empty for any.",
)
INDICATOR_COLUMNS = (
    "code", "name", "points", "method", "target", "grades", "items", "deduct_per", "max",
    "applies_to", "evidence",
)  # fmt: skip
INDICATORS_SHEET = Sheet(
    "indicators",
    INDICATOR_COLUMNS,
    ("code", "name", "points", "method"),
    "One row per indicator. method: ratio (target), grade (grades, e.g. A=1, B=0.8), "
    "checklist (items), deduction (deduct_per), bonus (max), veto. evidence and applies_to: "
    "comma-separated keys / unit kinds; applies_to empty means the special assessment's kinds.",
)
EQUIVALENCES_SHEET = Sheet(
    "equivalences",
    ("key", "equal_key"),
    ("key", "equal_key"),
    "Optional. Evidence keys of this file that equal a key of another file (the same document).",
)
UNITS_SHEET = Sheet(
    "units",
    ("code", "name", "kind", "group", "contact", "head"),
    ("code", "name", "kind", "group"),
    "One row per assessed unit; kind decides which indicators apply, group is the peer group.",
)
# The sheets that make a workbook a special assessment.
CATALOGUE_SHEETS = frozenset({META_SHEET, EVIDENCE_SHEET.name, INDICATORS_SHEET.name})
