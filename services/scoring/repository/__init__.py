"""SQL of the scoring service, one module per aggregate: runs, scores (a run's rows),
reviews, claims, appeals and ask snapshots.

Every function names its columns and takes keyword arguments; rows come back as frozen
dataclasses. Writes to one cycle serialise on an advisory lock (`lock_cycle`), so a run's
watermarks (the last review and claim decision it saw) describe exactly what it used.
"""

from __future__ import annotations

import json
from typing import Any

import asyncpg


async def lock_cycle(conn: asyncpg.Connection, *, cycle_code: str) -> None:
    """Serialise writes to one cycle until the transaction ends."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext('oneassess.scoring.' || $1))", cycle_code
    )


def to_json(value: Any) -> str:
    """Canonical JSON for text columns (sorted keys, no spaces, UTF-8 kept)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
