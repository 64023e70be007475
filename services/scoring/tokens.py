"""Page tokens of the scoring service's lists (pure): opaque to callers, checked strictly.

A token is where the previous page ended, in the list's order. Anything this service did
not issue (garbage, a crafted position of the wrong shape, a negative id) is
INVALID_ARGUMENT naming `page_token`, never a wrong page or an internal error.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.common.errors import InvalidArgument
from services.common.paging import decode_token, encode_token

MAX_TOKEN = 2048
MAX_TEXT = 512
INT32 = 2**31 - 1
INT64 = 2**63 - 1


def _refused() -> InvalidArgument:
    return InvalidArgument.field("page_token", "is not a token this service issued")


def _position(token: str) -> dict | None:
    if not token:
        return None
    if len(token) > MAX_TOKEN:
        raise _refused()
    return decode_token(token)


def _int(value: object, maximum: int) -> int:
    if type(value) is not int or not 0 <= value <= maximum:
        raise _refused()
    return value


def _text(value: object) -> str:
    if type(value) is not str or len(value) > MAX_TEXT or "\x00" in value:
        raise _refused()
    return value


def _fields(position: dict, *names: str) -> list:
    if sorted(position) != sorted(names):
        raise _refused()
    return [position[n] for n in names]


# -- lists by id (claims, appeals) ------------------------------------------------------------


def after_id(token: str) -> int:
    """The last id of the previous page (0: the first page)."""
    position = _position(token)
    if position is None:
        return 0
    (after,) = _fields(position, "after")
    return _int(after, INT64)


def id_token(last_id: int) -> str:
    return encode_token({"after": last_id})


# -- reviews: by unit, special assessment, indicator, revision descending ----------------------


def after_review(token: str) -> tuple[str, str, str, int] | None:
    position = _position(token)
    if position is None:
        return None
    (after,) = _fields(position, "after")
    if type(after) is not list or len(after) != 4:
        raise _refused()
    unit, sa, indicator, revision = after
    return (_text(unit), _text(sa), _text(indicator), _int(revision, INT32))


def review_token(unit: str, sa: str, indicator: str, revision: int) -> str:
    return encode_token({"after": [unit, sa, indicator, revision]})


# -- scores: one run, by group, rank, unit -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScoresAfter:
    """Where a page of scores continues: the run it reads and the last (group, rank, unit)."""

    run: int
    group: str
    rank: int
    unit: str


def after_score(token: str) -> ScoresAfter | None:
    position = _position(token)
    if position is None:
        return None
    run, after = _fields(position, "run", "after")
    if type(after) is not list or len(after) != 3:
        raise _refused()
    group, rank, unit = after
    return ScoresAfter(_int(run, INT32), _text(group), _int(rank, INT32), _text(unit))


def score_token(run: int, group: str, rank: int, unit: str) -> str:
    return encode_token({"run": run, "after": [group, rank, unit]})
