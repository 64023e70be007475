"""Declared limits on every request field, checked before any handler runs.

One mechanism for every service: the server interceptor walks each request message by its
protobuf descriptor and applies the limit of each field, chosen by its kind and name:

- identifiers (codes, ids, keys, hashes, formats): at most 128 characters (`workflow_id`
  256), no control or formatting characters (NUL, newlines, bidi overrides...), no
  surrounding spaces;
- free text (names, reasons, comments, descriptions...): at most 4,000 characters (file
  names 255, a reason 2,000), no control characters but tab and newline, no bidi controls;
- any other string: at most 1,024 characters, no control characters;
- bytes: at most 64 KiB, except file contents (`content`, `history_json`: 32 MiB) and upload
  chunks (1 MiB);
- lists and maps: at most 1,000 entries (map keys are identifiers);
- numbers: doubles finite and within ±1e9; integers not negative; enums one of their values;
- timestamps: years 1 to 9999; durations: within ten years.

Decimal numbers sent as text (weights, review values) are bounded by the scoring rules
(`services.scoring.numbers.bounded_decimal`). Violations are INVALID_ARGUMENT naming the
field path, with the offending input shortened. The table is documented in docs/security.md
and referred to from each proto file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from services.common.errors import InvalidArgument, Violation, shorten

ID_CHARS = 128
TEXT_CHARS = 4000
STRING_CHARS = 1024
BYTES = 64 * 1024
FILE_BYTES = 32 * 1024 * 1024
CHUNK_BYTES = 1024 * 1024
ENTRIES = 1000
NUMBER = 1e9
MIN_SECONDS = -62_135_596_800  # 0001-01-01T00:00:00Z
MAX_SECONDS = 253_402_300_799  # 9999-12-31T23:59:59Z
MAX_DURATION_SECONDS = 10 * 366 * 86_400

IDENTIFIERS = frozenset(
    {
        "cycle_code", "unit_code", "code", "special_assessment_code", "indicator_code",
        "evidence_key", "key", "keys", "evidence_keys", "group", "department", "owner",
        "applies_to", "kind", "tier", "category", "run_id", "submission_id", "workflow_id",
        "extension_id", "request_id", "id", "sha256", "format", "formats", "declared_format",
        "workflow_type", "timezone", "canonical_key", "equal_key", "aliases",
        "canonical_evidence", "evidence", "grade", "subject", "veto_tier", "source", "trigger",
        "recipient", "results_sha256", "inputs_sha256", "catalogue_sha256", "head",
        "filed_by", "decided_by", "approved_by", "reviewed_by", "submitted_by", "imported_by",
    }
)  # fmt: skip
TEXT = {
    "name": TEXT_CHARS, "name_en": TEXT_CHARS, "description": TEXT_CHARS,
    "comment": TEXT_CHARS, "body": TEXT_CHARS, "decision_reason": TEXT_CHARS,
    "contact": TEXT_CHARS, "category_name": TEXT_CHARS, "rule": TEXT_CHARS,
    "formula": TEXT_CHARS, "examples": TEXT_CHARS, "differences": TEXT_CHARS,
    "reason": 2000, "file_name": 255,
}  # fmt: skip
SPECIAL_CHARS = {"workflow_id": 256}
BYTES_OF = {"content": FILE_BYTES, "history_json": FILE_BYTES, "chunk": CHUNK_BYTES}

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class _Limit:
    chars: int
    pattern: re.Pattern[str]
    strip: bool


def _string_limit(name: str) -> _Limit:
    if name in TEXT:
        return _Limit(TEXT[name], _TEXT_CONTROL, strip=False)
    if name in IDENTIFIERS or name.endswith(("_code", "_id", "_key", "_sha256")):
        return _Limit(SPECIAL_CHARS.get(name, ID_CHARS), _CONTROL, strip=True)
    return _Limit(STRING_CHARS, _CONTROL, strip=False)


def check(message: Message) -> None:
    """InvalidArgument naming every field (up to a few) over its limit; nothing otherwise."""
    problems: list[Violation] = []
    _walk(message, "", problems, depth=0)
    if not problems:
        return
    if len(problems) == 1:
        v = problems[0]
        raise InvalidArgument(str(v), "INVALID_FIELD", problems, {"field": v.field})
    raise InvalidArgument.many("request", problems)


def _walk(message: Message, prefix: str, problems: list[Violation], depth: int) -> None:
    if depth > 16 or len(problems) >= 5:
        return
    descriptor: Descriptor = message.DESCRIPTOR
    if descriptor.full_name == "google.protobuf.Timestamp":
        _timestamp(message, prefix, problems)
        return
    if descriptor.full_name == "google.protobuf.Duration":
        if abs(message.seconds) > MAX_DURATION_SECONDS or abs(message.nanos) > 999_999_999:
            problems.append(Violation(prefix, "must be a duration within ten years"))
        return
    for field, value in message.ListFields():
        path = f"{prefix}.{field.name}" if prefix else field.name
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            if len(value) > ENTRIES:
                problems.append(Violation(path, f"has {len(value)} entries: at most {ENTRIES}"))
                continue
            value_field = field.message_type.fields_by_name["value"]
            for key in value:
                _scalar_value(
                    field.message_type.fields_by_name["key"], key, f"{path}.key", problems
                )
                item = value[key]
                if value_field.type == FieldDescriptor.TYPE_MESSAGE:
                    _walk(item, f"{path}[{shorten(str(key), 20)}]", problems, depth + 1)
                else:
                    _scalar_value(value_field, item, f"{path}[{shorten(str(key), 20)}]", problems)
            continue
        if field.is_repeated:
            if len(value) > ENTRIES:
                problems.append(Violation(path, f"has {len(value)} entries: at most {ENTRIES}"))
                continue
            for i, item in enumerate(value):
                if field.type == FieldDescriptor.TYPE_MESSAGE:
                    _walk(item, f"{path}[{i}]", problems, depth + 1)
                else:
                    _scalar_value(field, item, f"{path}[{i}]", problems)
            continue
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            _walk(value, path, problems, depth + 1)
        else:
            _scalar_value(field, value, path, problems)


def _timestamp(message: Message, path: str, problems: list[Violation]) -> None:
    if not MIN_SECONDS <= message.seconds <= MAX_SECONDS or not 0 <= message.nanos <= 999_999_999:
        problems.append(Violation(path, "must be a time between the years 1 and 9999"))


def _scalar_value(field: FieldDescriptor, value: object, path: str, problems: list[Violation]):
    kind = field.type
    if kind == FieldDescriptor.TYPE_STRING:
        assert isinstance(value, str)
        limit = _string_limit(field.name)
        if len(value) > limit.chars:
            problems.append(
                Violation(
                    path,
                    f"is {len(value)} characters long: at most {limit.chars} ({value[:40]!r}…)",
                )
            )
        elif found := limit.pattern.search(value):
            problems.append(
                Violation(
                    path,
                    f"must not contain NUL or control characters (U+{ord(found.group()):04X} at "
                    f"{found.start()}): {shorten(value, 40)!r}",
                )
            )
        elif limit.strip and value != value.strip():
            problems.append(
                Violation(path, f"must not start or end with spaces: {shorten(value, 40)!r}")
            )
    elif kind == FieldDescriptor.TYPE_BYTES:
        assert isinstance(value, bytes)
        limit_bytes = BYTES_OF.get(field.name, BYTES)
        if len(value) > limit_bytes:
            problems.append(Violation(path, f"is {len(value)} bytes: at most {limit_bytes}"))
    elif kind in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        assert isinstance(value, float)
        if not -NUMBER <= value <= NUMBER:  # also false for NaN
            problems.append(Violation(path, f"must be a finite number within ±1e9 (got {value!r})"))
    elif kind == FieldDescriptor.TYPE_ENUM:
        if value not in field.enum_type.values_by_number:
            names = ", ".join(v.name for v in field.enum_type.values)
            problems.append(Violation(path, f"'{value}' is not one of {names}"))
    elif kind in (
        FieldDescriptor.TYPE_INT32,
        FieldDescriptor.TYPE_INT64,
        FieldDescriptor.TYPE_SINT32,
        FieldDescriptor.TYPE_SINT64,
        FieldDescriptor.TYPE_SFIXED32,
        FieldDescriptor.TYPE_SFIXED64,
    ):
        assert isinstance(value, int)
        if value < 0:
            problems.append(Violation(path, f"must not be negative (got {value})"))
