"""Review validation by scoring method (pure): what an assessor entered -> a judgement.

Each method reads one field: ratio `value`, grade `grade`, checklist `items_met`, deduction
`occurrences`, bonus `claimed`, veto `failed`. Amounts keep at most 6 decimal places (they
are stored exactly in millionths). The same checks serve RecordReview, the bulk import and
appeal adjustments, so a sheet row and an RPC fail with the same words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from decimal import Decimal

from services.common.errors import InvalidArgument, Violation, shorten
from services.scoring.model import Catalogue, IndicatorKey, IndicatorRule, Judgement
from services.scoring.numbers import bounded_decimal, micro_text

FIELD_OF = {
    "ratio": "value",
    "grade": "grade",
    "checklist": "items_met",
    "deduction": "occurrences",
    "bonus": "claimed",
    "veto": "failed",
}
INPUT_FIELDS = tuple(FIELD_OF.values())
MAX_AMOUNT = Decimal(10**9)
MAX_COMMENT = 4000
TRUE = frozenset({"true", "yes", "y", "1", "是", "failed", "x"})
FALSE = frozenset({"false", "no", "n", "0", "否", ""})


@dataclass(frozen=True)
class Judged:
    """A valid review input: the canonical judgement and the input as it is shown."""

    judgement: Judgement
    shown: dict[str, str]  # {"value": "0.95"}

    @property
    def text(self) -> str:
        """The judgement as stored (reviews.judgement)."""
        return judgement_text(self.judgement)


def judgement_text(judgement: Judgement) -> str:
    if isinstance(judgement, bool):
        return "true" if judgement else "false"
    return str(judgement)


def parse_judgement(method: str, text: str) -> Judgement:
    """Inverse of judgement_text, knowing the method."""
    if method == "grade":
        return text
    if method == "veto":
        return text == "true"
    return int(text)


def shown_value(method: str, judgement: Judgement) -> str:
    """A judgement as people read it: 0.95, B, 3, true."""
    if method in ("ratio", "deduction", "bonus"):
        return micro_text(int(judgement))
    return judgement_text(judgement)


def judge(rule: IndicatorRule, given: Mapping[str, object], prefix: str = "input") -> Judged:
    """Validate what was entered for `rule`; raises InvalidArgument naming the field."""
    result = check(rule, given, prefix)
    if isinstance(result, Violation):
        raise InvalidArgument(str(result), "INVALID_FIELD", [result], {"field": result.field})
    return result


def check(
    rule: IndicatorRule, given: Mapping[str, object], prefix: str = "input"
) -> Judged | Violation:
    """The judgement, or what is wrong with what was entered."""
    expected = FIELD_OF[rule.method]

    def named(f: str) -> str:
        return f"{prefix}.{f}" if prefix else f

    extra = [f for f in given if f != expected]
    if extra:
        return Violation(
            named(extra[0]), f"is not used by method {rule.method} (fill {named(expected)})"
        )
    if expected not in given:
        return Violation(named(expected), f"is required by method {rule.method}")
    try:
        return _judge(rule, given)
    except _Bad as bad:
        return Violation(named(expected), str(bad))


class _Bad(ValueError):
    pass


def _judge(rule: IndicatorRule, given: Mapping[str, object]) -> Judged:
    m = rule.method
    raw = given[FIELD_OF[m]]
    if m in ("ratio", "deduction", "bonus"):
        amount = _amount(raw, allow_percent=m == "ratio")
        micro = int(amount.scaleb(6))
        return Judged(micro, {FIELD_OF[m]: micro_text(micro)})
    if m == "grade":
        letter = str(raw).strip()
        letters = [g for g, _ in rule.grades]
        if letter not in letters and letter.upper() in letters:
            letter = letter.upper()
        if letter not in letters:
            raise _Bad(
                f"grade {letter!r} is not one of the indicator's grades ({', '.join(letters)})"
            )
        return Judged(letter, {"grade": letter})
    if m == "checklist":
        met = _whole(raw)
        if met < 0:
            raise _Bad(f"must not be negative (got {met})")
        if met > rule.items:
            raise _Bad(f"{met} items met but the indicator lists {rule.items}")
        return Judged(met, {"items_met": str(met)})
    failed = _flag(raw)
    return Judged(failed, {"failed": judgement_text(failed)})


def _amount(raw: object, *, allow_percent: bool) -> Decimal:
    if isinstance(raw, bool):
        raise _Bad(f"must be a number (got {raw!r})")
    percent = False
    if isinstance(raw, float):
        text = repr(raw)
    elif isinstance(raw, int | Decimal):
        text = str(raw)
    else:
        text = str(raw).strip().replace(",", "")
        if allow_percent and text.endswith("%"):
            text, percent = text[:-1].strip(), True
    try:
        value = bounded_decimal(text)
    except ValueError as bad:
        raise _Bad(f"{bad} (got {shorten(text)!r})") from None
    if percent:
        value = value.scaleb(-2)
    if value < 0:
        raise _Bad(f"must not be negative (got {text})")
    if value > MAX_AMOUNT:
        raise _Bad(f"must be at most {MAX_AMOUNT} (got {text})")
    if value != value.quantize(Decimal("1e-6")):
        raise _Bad(f"has more than 6 decimal places (got {text})")
    return value


def _whole(raw: object) -> int:
    if isinstance(raw, bool):
        raise _Bad(f"must be a whole number (got {raw!r})")
    if isinstance(raw, int):
        return raw
    text = repr(raw) if isinstance(raw, float) else str(raw).strip()
    try:
        value = bounded_decimal(text)
    except ValueError as bad:
        raise _Bad(f"{bad}: a whole number (got {shorten(text)!r})") from None
    if not value.is_finite() or value != value.to_integral_value():
        raise _Bad(f"must be a whole number (got {raw})")
    return int(value)


def _flag(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise _Bad(f"must be true or false (got {raw!r})")


def check_comment(comment: str, field: str = "comment") -> str:
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise InvalidArgument.field(field, f"is longer than {MAX_COMMENT} characters")
    return comment


@dataclass(frozen=True)
class NewReview:
    """A revision to record."""

    unit: str
    key: IndicatorKey
    revision: int
    method: str
    shown: dict[str, str]
    judgement: str
    comment: str


def next_revision(latest: int | None) -> int:
    """The revision after the latest one (1 for the first)."""
    return latest + 1 if latest else 1


@dataclass(frozen=True)
class Recorded:
    """What a review of one (unit, indicator) pair looked like last."""

    revision: int
    judgement: str
    comment: str


def revisions(
    imported: Sequence[tuple[str, IndicatorRule, Judged, str]],
    latest: Mapping[tuple[str, IndicatorKey], Recorded],
) -> tuple[list[NewReview], int]:
    """New revisions for (unit, rule, judged, comment) rows that differ from the latest
    revision of their pair, and the number of rows equal to it."""
    new: list[NewReview] = []
    unchanged = 0
    for unit, rule, judged, comment in imported:
        previous = latest.get((unit, rule.key))
        if previous and previous.judgement == judged.text and previous.comment == comment:
            unchanged += 1
            continue
        new.append(
            NewReview(
                unit,
                rule.key,
                next_revision(previous.revision if previous else None),
                rule.method,
                judged.shown,
                judged.text,
                comment,
            )
        )
    return new, unchanged


@dataclass(frozen=True)
class Missing:
    """Reviews one line department has not recorded yet."""

    department: str
    missing: int
    total: int
    examples: tuple[str, ...]  # "unit/special-assessment/indicator", at most MAX_EXAMPLES


MAX_EXAMPLES = 50


def missing_reviews(
    catalogue: Catalogue, reviewed: AbstractSet[tuple[str, str, str]], department: str = ""
) -> list[Missing]:
    """Per line department (only `department` when set) with a review missing: the (unit,
    indicator) pairs to review and those nobody reviewed, by department."""
    owners = {s.code: s.owner for s in catalogue.special_assessments}
    totals: dict[str, list] = {}
    for unit in sorted(catalogue.units, key=lambda u: u.code):
        for rule in catalogue.applicable(unit.kind):
            owner = owners[rule.special_assessment]
            if department and owner != department:
                continue
            entry = totals.setdefault(owner, [0, 0, []])
            entry[1] += 1
            if (unit.code, rule.special_assessment, rule.code) not in reviewed:
                entry[0] += 1
                if len(entry[2]) < MAX_EXAMPLES:
                    entry[2].append(f"{unit.code}/{rule.special_assessment}/{rule.code}")
    return [
        Missing(owner, missing, total, tuple(examples))
        for owner, (missing, total, examples) in sorted(totals.items())
        if missing
    ]
