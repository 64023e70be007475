"""One entry point per kind of file: detect its format and read it into domain objects (pure).

Formats: OneAssess YAML, Excel workbooks (.xlsx) and CISO Assistant library YAML (a YAML
document with `objects.framework`). Every reader ends in the same validator, so errors look
the same whatever the format: `FILE:LINE` for YAML, `FILE:SHEET!CELL` for Excel.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.common.errors import InvalidArgument
from services.indicators import ciso, excel
from services.indicators.catalog import (
    validated_special_assessment,
    validated_units,
    yaml_locator,
)
from services.indicators.model import UNIT_KINDS, SpecialAssessmentDoc, UnitDef
from services.indicators.sources import load_yaml

YAML, XLSX, CISO = "yaml", "xlsx", "ciso"
FORMATS = (YAML, XLSX, CISO)


def format_of(file_name: str, declared: str = "") -> str:
    """The declared format, else the one the file name says (.xlsx is Excel, anything else YAML)."""
    if declared:
        return declared
    return XLSX if file_name.lower().endswith((".xlsx", ".xlsm")) else YAML


def _nonempty(content: bytes, file_name: str) -> None:
    if not content:
        raise InvalidArgument.field("file.content", "is empty", file_name)


def read_special_assessment(
    file_name: str, content: bytes, fmt: str = "", kinds: Sequence[str] = UNIT_KINDS
) -> SpecialAssessmentDoc:
    """A validated special assessment, or one InvalidArgument listing every problem of the file."""
    _nonempty(content, file_name)
    fmt = format_of(file_name, fmt)
    if fmt == XLSX:
        raw, locate, problems = excel.read_special_assessment_workbook(content, file_name)
        return validated_special_assessment(raw, locate, file_name, kinds, problems)
    document = load_yaml(content, file_name)
    if fmt == CISO or ciso.is_ciso_library(document):
        if not ciso.is_ciso_library(document):
            raise InvalidArgument.field(
                "objects.framework", "a CISO Assistant library needs objects.framework", file_name
            )
        raw, locate, problems = ciso.read_ciso_library(document, file_name, kinds)
        return validated_special_assessment(raw, locate, file_name, kinds, problems)
    return validated_special_assessment(document, yaml_locator(document), file_name, kinds)


def read_units(file_name: str, content: bytes, fmt: str = "") -> list[UnitDef]:
    """A validated unit list (YAML `units:` or a workbook's `units` sheet)."""
    _nonempty(content, file_name)
    fmt = format_of(file_name, fmt)
    if fmt == XLSX:
        raw, locate, problems = excel.read_units_workbook(content, file_name)
        return validated_units(raw, locate, file_name, problems)
    if fmt == CISO:
        raise InvalidArgument.field(
            "file.format", "a unit list is YAML or Excel, not a CISO Assistant library", file_name
        )
    document = load_yaml(content, file_name)
    raw = (
        document.get("units") if isinstance(document, dict) else document
    )  # `units:` or a bare list
    return validated_units(raw, yaml_locator(document), file_name)
