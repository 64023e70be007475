"""AIP-158 paging: page sizes with defaults and caps, opaque keyset page tokens.

A listing pages in SQL by keyset: `ORDER BY` a unique key, `WHERE key > last position`,
`LIMIT size + 1`. Its `Keyset` turns the last row's position into an opaque token and back.
A token names its listing and carries exactly the typed values of one position; anything
else (crafted, truncated, garbage, another listing's) is INVALID_ARGUMENT on `page_token`,
never INTERNAL.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from services.common.canonical import canonical_json
from services.common.errors import InvalidArgument

T = TypeVar("T")
MAX_TOKEN_CHARS = 4096


def page_size(requested: int, *, default: int, maximum: int) -> int:
    if requested < 0:
        raise InvalidArgument.field("page_size", f"must not be negative (got {requested})")
    return min(requested or default, maximum)


def _bad_token(why: str = "is not a token this service issued") -> InvalidArgument:
    return InvalidArgument.field("page_token", why)


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _decode_value(value: Any, kind: type) -> Any:
    if kind is datetime:
        if not isinstance(value, str):
            raise ValueError
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError
        return moment
    if kind is uuid.UUID:
        if not isinstance(value, str):
            raise ValueError
        return uuid.UUID(value)
    if kind is int:
        # Positions are row ids, ranks and counts: never negative, within int64.
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
            raise ValueError
        return value
    if not isinstance(value, kind):
        raise ValueError
    if isinstance(value, str) and (len(value) > 512 or "\x00" in value):
        raise ValueError  # PostgreSQL text holds no NUL
    return value


@dataclass(frozen=True)
class Keyset:
    """The position of a row in one listing's order, as an opaque page token.

    `listing` names the listing (a token of another listing is refused); `types` are the
    types of the position's values, in order (str, int, datetime or uuid.UUID).
    """

    listing: str
    types: tuple[type, ...]

    def __init__(self, listing: str, *types: type) -> None:
        object.__setattr__(self, "listing", listing)
        object.__setattr__(self, "types", types)

    def encode(self, *values: Any) -> str:
        if len(values) != len(self.types):
            raise ValueError(f"{self.listing}: a position has {len(self.types)} values")
        body = canonical_json([self.listing, *map(_encode_value, values)])
        return base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")

    def decode(self, token: str) -> tuple | None:
        """The position a token names; None for the first page (no token)."""
        if not token:
            return None
        if len(token) > MAX_TOKEN_CHARS:
            raise _bad_token(f"is longer than {MAX_TOKEN_CHARS} characters")
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            value = json.loads(raw.decode())
        except (binascii.Error, ValueError):  # UnicodeDecodeError and JSON errors are ValueErrors
            raise _bad_token() from None
        if (
            not isinstance(value, list)
            or len(value) != len(self.types) + 1
            or value[0] != self.listing
        ):
            raise _bad_token(f"is not a token of this listing ({self.listing})")
        try:
            return tuple(_decode_value(v, t) for v, t in zip(value[1:], self.types, strict=True))
        except (TypeError, ValueError):
            raise _bad_token() from None

    def page(
        self, rows: Sequence[T], size: int, position: Callable[[T], tuple]
    ) -> tuple[Sequence[T], str]:
        """The first `size` of `rows` (fetched with LIMIT size + 1) and the next page's token,
        empty when this page is the last."""
        if len(rows) <= size:
            return rows, ""
        shown = rows[:size]
        return shown, self.encode(*position(shown[-1]))


# -- earlier dict tokens (kept for callers not yet on Keyset) -----------------------------------


def encode_token(position: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(canonical_json(position).encode()).decode()


def decode_token(token: str) -> dict[str, Any]:
    """A dict position; the caller still checks each value's type (prefer `Keyset`)."""
    if not token:
        return {}
    try:
        value = json.loads(base64.urlsafe_b64decode(token.encode()))
        if not isinstance(value, dict):
            raise ValueError
        return value
    except (binascii.Error, TypeError, ValueError) as err:
        raise _bad_token() from err
