"""AIP-158 paging: page sizes with defaults and caps, opaque page tokens."""

from __future__ import annotations

import base64
import json
from typing import Any

from services.common.errors import InvalidArgument


def page_size(requested: int, *, default: int, maximum: int) -> int:
    if requested < 0:
        raise InvalidArgument.field("page_size", f"must not be negative (got {requested})")
    return min(requested or default, maximum)


def encode_token(position: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position, separators=(",", ":")).encode()).decode()


def decode_token(token: str) -> dict[str, Any]:
    if not token:
        return {}
    try:
        value = json.loads(base64.urlsafe_b64decode(token.encode()))
        if not isinstance(value, dict):
            raise ValueError
        return value
    except ValueError as err:
        raise InvalidArgument.field("page_token", "is not a token this service issued") from err
