"""Special assessment and unit files -> validated domain objects (pure, no I/O).

Every format (YAML here; Excel and CISO Assistant in their own modules) is first read into
plain dicts plus a `locate(path)` function telling where a value sits in the file; one
validator then checks them, so every format reports problems the same way and all at once.

Unit kinds are data: `township` and `department` are always known, and a city adds its own
by importing units with other kinds. A special assessment naming any other kind is rejected.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from services.common.errors import InvalidArgument
from services.indicators.model import (
    METHOD_PARAMETERS,
    METHODS,
    UNIT_KINDS,
    Evidence,
    IndicatorDef,
    SpecialAssessmentDoc,
    UnitDef,
)
from services.indicators.sources import Problems, line_of, load_yaml

Path_ = tuple[str | int, ...]
Locate = Callable[[Path_], str | int | None]

# Codes and keys: what workflow ids, URLs and file names carry safely.
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
CODE_RULE = "letters, digits, '-', '_' or '.', at most 63, starting with a letter or digit"
# Accepted formats are file extensions (pdf, docx, ofd, ...); none listed means any format.
FORMAT = re.compile(r"^[a-z0-9]{1,10}$")


def table_locator(table: dict[Path_, str | int], fallback: str | int | None = None) -> Locate:
    """Locator for formats read cell by cell: the entry of the longest known prefix of `path`."""

    def locate(path: Path_) -> str | int | None:
        for end in range(len(path), -1, -1):
            if path[:end] in table:
                return table[path[:end]]
        return fallback

    return locate


def yaml_locator(document: Any) -> Locate:
    """Line of the deepest element of `path` that the YAML document has."""

    def locate(path: Path_) -> int | None:
        node, line = document, line_of(document)
        for step in path:
            try:
                child = node[step]
            except (KeyError, IndexError, TypeError):
                return line_of(node, step) or line
            line = line_of(node, step) or line
            node = child
        return line

    return locate


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _str_list(value: Any) -> list[str] | None:
    if isinstance(value, list) and all(isinstance(v, str) and v for v in value):
        return list(value)
    return None


def validate_special_assessment(
    raw: Any, locate: Locate, problems: Problems, kinds: Sequence[str] = UNIT_KINDS
) -> SpecialAssessmentDoc | None:
    """Check a raw special assessment; add every problem; return the doc when there are none.

    `kinds` are the unit kinds known to the city (UNIT_KINDS plus those of imported units).
    """
    if not isinstance(raw, dict):
        problems.add(
            locate(()), "document", "must be a mapping with code, name, owner, evidence, indicators"
        )
        return None

    def need_str(key: str) -> str:
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            problems.add(locate((key,)), key, "is required (a non-empty string)")
            return ""
        return value.strip()

    code = need_str("code")
    if code and not CODE.match(code):
        problems.add(locate(("code",)), "code", f"{code!r} must be {CODE_RULE}")
    name = need_str("name")
    owner = need_str("owner")
    name_en = raw.get("name_en") or ""
    # Without applies_to a special assessment applies to every kind the city knows.
    applies_to = _kinds(
        raw.get("applies_to"), ("applies_to",), locate, problems, kinds, required=False
    ) or list(kinds)

    evidence: list[Evidence] = []
    raw_evidence = raw.get("evidence")
    if not isinstance(raw_evidence, list) or not raw_evidence:
        problems.add(
            locate(("evidence",)), "evidence", "must be a non-empty list of {key, name, formats}"
        )
        raw_evidence = []
    seen_keys: set[str] = set()
    for i, item in enumerate(raw_evidence):
        ev = _evidence(item, ("evidence", i), locate, problems, seen_keys)
        if ev:
            evidence.append(ev)

    indicators: list[IndicatorDef] = []
    raw_indicators = raw.get("indicators")
    if not isinstance(raw_indicators, list) or not raw_indicators:
        problems.add(locate(("indicators",)), "indicators", "must be a non-empty list")
        raw_indicators = []
    seen_codes: set[str] = set()
    for i, item in enumerate(raw_indicators):
        ind = _indicator(
            item, ("indicators", i), locate, problems, seen_codes, seen_keys, applies_to, kinds
        )
        if ind:
            indicators.append(ind)

    equivalences = []
    raw_pairs = raw.get("equivalences") or []
    if not isinstance(raw_pairs, list):
        problems.add(
            locate(("equivalences",)), "equivalences", "must be a list of [key, equal_key] pairs"
        )
        raw_pairs = []
    for i, pair in enumerate(raw_pairs):
        if not (
            isinstance(pair, list | tuple)
            and len(pair) == 2
            and all(isinstance(k, str) and CODE.match(k) for k in pair)
        ):
            problems.add(
                locate(("equivalences", i)),
                f"equivalences[{i}]",
                "each entry is a [key, equal_key] pair of evidence keys",
            )
            continue
        if not ({pair[0], pair[1]} & seen_keys):
            problems.add(
                locate(("equivalences", i)),
                f"equivalences[{i}]",
                f"neither {pair[0]!r} nor {pair[1]!r} is declared under evidence in this file",
            )
            continue
        equivalences.append((pair[0], pair[1]))

    if problems.items:
        return None
    return SpecialAssessmentDoc(
        code=code,
        name=name,
        owner=owner,
        applies_to=tuple(applies_to or ()),
        evidence=tuple(evidence),
        indicators=tuple(indicators),
        name_en=str(name_en),
        equivalences=tuple(equivalences),
    )


def _field_name(path: Path_) -> str:
    """('indicators', 3, 'applies_to') -> 'indicators[3].applies_to'."""
    name = ""
    for step in path:
        name += f"[{step}]" if isinstance(step, int) else (f".{step}" if name else str(step))
    return name


def _kinds(
    value: Any,
    path: Path_,
    locate: Locate,
    problems: Problems,
    known: Sequence[str],
    *,
    required: bool,
    label: str = "",
) -> list[str] | None:
    field = label or _field_name(path)
    if value is None and not required:
        return None
    kinds = _str_list(value)
    if not kinds:
        problems.add(
            locate(path), field, f"must be a non-empty list of unit kinds ({', '.join(known)})"
        )
        return None
    for kind in kinds:
        if kind not in known:
            problems.add(
                locate(path),
                field,
                f"unknown unit kind {kind!r} (known: {', '.join(known)}); the kinds of "
                "imported units are known too",
            )
    return kinds


def _evidence(
    item: Any, path: Path_, locate: Locate, problems: Problems, seen: set[str]
) -> Evidence | None:
    field = f"evidence[{path[-1]}]"
    if not isinstance(item, dict):
        problems.add(locate(path), field, "must be a mapping {key, name, formats}")
        return None
    key, name, formats = item.get("key"), item.get("name"), item.get("formats")
    ok = True
    if not isinstance(key, str) or not CODE.match(key or ""):
        problems.add(locate((*path, "key")), f"{field}.key", f"is required: {CODE_RULE}")
        ok = False
    elif key in seen:
        problems.add(locate((*path, "key")), f"{field}.key", f"duplicate evidence key {key!r}")
        ok = False
    if not isinstance(name, str) or not name.strip():
        problems.add(locate((*path, "name")), f"{field}.name", "is required")
        ok = False
    fmt_list = [] if formats is None else _str_list(formats)
    if fmt_list is None:
        problems.add(
            locate((*path, "formats")),
            f"{field}.formats",
            "must be a list of file extensions, e.g. [pdf, docx]",
        )
        ok = False
        fmt_list = []
    accepted = [f.strip().lower().lstrip(".") for f in fmt_list]
    for fmt, written in zip(accepted, fmt_list, strict=True):
        if not FORMAT.match(fmt):
            problems.add(
                locate((*path, "formats")),
                f"{field}.formats",
                f"{written!r} is not a file extension such as pdf, docx or xlsx",
            )
            ok = False
    if not ok:
        return None
    seen.add(key)
    return Evidence(key, name.strip(), tuple(dict.fromkeys(accepted)))


def _indicator(
    item: Any,
    path: Path_,
    locate: Locate,
    problems: Problems,
    seen_codes: set[str],
    declared_keys: set[str],
    sa_kinds: list[str] | None,
    known_kinds: Sequence[str],
) -> IndicatorDef | None:
    if not isinstance(item, dict):
        problems.add(locate(path), f"indicators[{path[-1]}]", "must be a mapping")
        return None
    code = item.get("code")
    label = f"indicator {code}" if isinstance(code, str) and code else f"indicators[{path[-1]}]"
    before = len(problems.items)

    def bad(key: str, reason: str) -> None:
        problems.add(locate((*path, key)), f"{label}.{key}", reason)

    if not isinstance(code, str) or not CODE.match(code):
        bad("code", f"is required: {CODE_RULE}")
    elif code in seen_codes:
        bad("code", f"duplicate indicator code {code!r}")
    else:
        seen_codes.add(code)
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        bad("name", "is required")
    points = item.get("points")
    if not _is_number(points):
        bad("points", "is required (a number)")
    elif points < 0:
        bad("points", f"must not be negative (got {points:g})")
    method = item.get("method")
    if method not in METHODS:
        bad("method", f"unknown scoring method {method!r} (known: {', '.join(METHODS)})")
    else:
        for param in METHOD_PARAMETERS[method]:
            if item.get(param) is None:
                bad(param, f"method {method} needs {param}")
        if (
            method in ("ratio", "grade", "checklist", "deduction")
            and _is_number(points)
            and points == 0
        ):
            bad("points", f"method {method} needs positive points")
    target, grades, items, deduct_per, max_ = (
        item.get(k) for k in ("target", "grades", "items", "deduct_per", "max")
    )
    if target is not None and (not _is_number(target) or target <= 0):
        bad("target", "must be a positive number")
    grade_pairs: list[tuple[str, float]] = []
    if grades is not None:
        if not isinstance(grades, dict) or not grades:
            bad("grades", "must map grade letters to shares between 0 and 1")
        else:
            for letter, share in grades.items():
                if not _is_number(share) or not 0 <= share <= 1:
                    bad("grades", f"grade {letter!r} share must be between 0 and 1 (got {share!r})")
                else:
                    grade_pairs.append((str(letter), float(share)))
    if items is not None and (not isinstance(items, int) or isinstance(items, bool) or items <= 0):
        bad("items", "must be a positive whole number")
    if deduct_per is not None and (not _is_number(deduct_per) or deduct_per <= 0):
        bad("deduct_per", "must be a positive number")
    if max_ is not None and (not _is_number(max_) or max_ < 0):
        bad("max", "must be a number >= 0")
    evidence = item.get("evidence", [])
    if not isinstance(evidence, list) or not all(isinstance(k, str) for k in evidence):
        bad("evidence", "must be a list of evidence keys")
        evidence = []
    for key in evidence:
        if key not in declared_keys:
            bad(
                "evidence",
                f"names evidence key {key!r} that this file does not declare under evidence",
            )
    kinds = _kinds(
        item.get("applies_to"),
        (*path, "applies_to"),
        locate,
        problems,
        known_kinds,
        required=False,
        label=f"{label}.applies_to",
    )
    if kinds and sa_kinds:
        for kind in kinds:
            if kind in known_kinds and kind not in sa_kinds:
                bad("applies_to", f"kind {kind!r} is not one the special assessment applies to")
    if len(problems.items) > before:
        return None
    return IndicatorDef(
        code=code,
        name=name.strip(),
        points=float(points),
        method=method,
        evidence=tuple(dict.fromkeys(evidence)),
        applies_to=tuple(kinds or ()),
        target=float(target) if target is not None else None,
        grades=tuple(grade_pairs),
        items=items,
        deduct_per=float(deduct_per) if deduct_per is not None else None,
        max=float(max_) if max_ is not None else None,
    )


def parse_special_assessment_yaml(
    content: bytes, file_name: str, kinds: Sequence[str] = UNIT_KINDS
) -> SpecialAssessmentDoc:
    document = load_yaml(content, file_name)
    return validated_special_assessment(document, yaml_locator(document), file_name, kinds)


def validated_special_assessment(
    raw: Any, locate: Locate, file_name: str, kinds: Sequence[str], problems: Problems | None = None
) -> SpecialAssessmentDoc:
    """Validate, or raise one InvalidArgument listing every problem (and any found while
    reading)."""
    problems = problems or Problems(file_name)
    doc = validate_special_assessment(raw, locate, problems, kinds)
    problems.raise_if_any("special assessment")
    assert doc is not None
    return doc


def validate_units(raw_units: Any, locate: Locate, problems: Problems) -> list[UnitDef]:
    if not isinstance(raw_units, list) or not raw_units:
        problems.add(
            locate(("units",)), "units", "must be a non-empty list of {code, name, kind, group}"
        )
        return []
    units: list[UnitDef] = []
    seen: set[str] = set()
    for i, item in enumerate(raw_units):
        path: Path_ = ("units", i)
        if not isinstance(item, dict):
            problems.add(locate(path), f"units[{i}]", "must be a mapping {code, name, kind, group}")
            continue
        before = len(problems.items)
        code = item.get("code")
        label = f"unit {code}" if isinstance(code, str) and code else f"units[{i}]"
        if not isinstance(code, str) or not CODE.match(code):
            problems.add(locate((*path, "code")), f"{label}.code", f"is required: {CODE_RULE}")
        elif code in seen:
            problems.add(locate((*path, "code")), f"{label}.code", f"duplicate unit code {code!r}")
        for key in ("name", "group"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                problems.add(locate((*path, key)), f"{label}.{key}", "is required")
        kind = item.get("kind")
        if not isinstance(kind, str) or not CODE.match(kind):
            problems.add(
                locate((*path, "kind")),
                f"{label}.kind",
                f"is required: a unit kind such as {' or '.join(UNIT_KINDS)} ({CODE_RULE}), "
                f"got {kind!r}",
            )
        if len(problems.items) > before:
            continue
        seen.add(code)
        units.append(
            UnitDef(
                code=code,
                name=item["name"].strip(),
                kind=kind,
                group=item["group"].strip(),
                contact=str(item.get("contact") or ""),
                head=str(item.get("head") or ""),
            )
        )
    return units


def parse_units_yaml(content: bytes, file_name: str) -> list[UnitDef]:
    document = load_yaml(content, file_name)
    raw = document.get("units") if isinstance(document, dict) else document
    return validated_units(raw, yaml_locator(document), file_name)


def validated_units(
    raw_units: Any, locate: Locate, file_name: str, problems: Problems | None = None
) -> list[UnitDef]:
    problems = problems or Problems(file_name)
    units = validate_units(raw_units, locate, problems)
    problems.raise_if_any("unit list")
    return units


def reject(file_name: str, field: str, reason: str) -> InvalidArgument:
    return InvalidArgument.field(field, reason, file_name)
