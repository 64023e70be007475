"""Canonical JSON: the one byte form OneAssess hashes and stores (sorted keys, no spaces,
UTF-8 kept as is). Equal values give equal text, so equal content gives an equal sha256."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any


def canonical_json(value: Any, *, default: Callable[[Any], Any] | None = None) -> str:
    """`value` as canonical JSON; `default` renders values JSON has no type for (none: refused)."""
    return json.dumps(
        value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=default
    )


def canonical_sha256(value: Any) -> str:
    """Lowercase hex sha256 of the canonical JSON of `value`."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()
