"""The append-only, hash-chained audit log every service keeps in its own schema.

entry.hash = sha256(prev_hash + canonical JSON of (seq, at, actor, action, subject, payload)).
Appends serialise on an advisory lock so the chain never forks; `verify` recomputes it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from services.common import canonical

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    """Canonical JSON of an entry; values JSON has no type for (datetimes) as their str()."""
    return canonical.canonical_json(value, default=str)


def entry_hash(
    prev_hash: str, seq: int, at: datetime, actor: str, action: str, subject: str, payload: Any
) -> str:
    body = canonical_json(
        {
            "seq": seq,
            "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": actor,
            "action": action,
            "subject": subject,
            "payload": payload,
        }
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


async def append(
    conn: asyncpg.Connection, *, actor: str, action: str, subject: str, payload: Any
) -> str:
    """Append one entry inside the caller's transaction; returns its hash."""
    # One chain per schema: services sharing a database do not wait on each other's appends.
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext('oneassess.audit.' || current_schema()))"
    )
    last = await conn.fetchrow("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
    seq = (last["seq"] + 1) if last else 1
    prev = last["hash"] if last else GENESIS
    at = datetime.now(UTC)
    payload = json.loads(canonical_json(payload))  # what is stored is exactly what was hashed
    digest = entry_hash(prev, seq, at, actor, action, subject, payload)
    await conn.execute(
        "INSERT INTO audit_log (seq, at, actor, action, subject, payload, prev_hash, hash)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        seq,
        at,
        actor,
        action,
        subject,
        payload,
        prev,
        digest,
    )
    return digest


@dataclass(frozen=True)
class ChainCheck:
    entries: int
    ok: bool
    first_bad_seq: int | None = None
    reason: str = ""


async def verify(conn: asyncpg.Connection | asyncpg.Pool) -> ChainCheck:
    prev = GENESIS
    count = 0
    rows = await conn.fetch("SELECT * FROM audit_log ORDER BY seq")
    for expected_seq, row in enumerate(rows, start=1):
        count += 1
        if row["seq"] != expected_seq:
            return ChainCheck(count, False, row["seq"], f"gap: expected seq {expected_seq}")
        if row["prev_hash"] != prev:
            return ChainCheck(
                count, False, row["seq"], "prev_hash does not match the previous entry"
            )
        digest = entry_hash(
            prev, row["seq"], row["at"], row["actor"], row["action"], row["subject"], row["payload"]
        )
        if digest != row["hash"]:
            return ChainCheck(count, False, row["seq"], "hash does not match the entry's content")
        prev = digest
    return ChainCheck(count, True)
