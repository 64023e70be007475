"""The append-only, hash-chained audit log every service keeps in its own schema.

entry.hash = sha256(prev_hash + canonical JSON of (seq, at, actor, action, subject, payload)).
Appends serialise on an advisory lock so the chain never forks; `verify` recomputes it.

A chain recomputed from scratch after an edit, or cut at its end, is consistent by itself:
what detects it is an anchor, a head (seq, hash) recorded outside the database earlier
(`oneassess audit verify` keeps them; the VerifyAuditChain RPC answers a signed head to keep).
`verify` checks every anchor is still in the chain with the same hash. UPDATE, DELETE and
TRUNCATE of audit_log are refused by triggers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterable
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
    # Locks this schema's chain until the transaction ends and reads its head (common/0003).
    head = await conn.fetchrow("SELECT head_seq, head_hash FROM audit_lock_head()")
    seq = (head["head_seq"] or 0) + 1
    prev = head["head_hash"] or GENESIS
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
    head_seq: int = 0
    head_hash: str = GENESIS


BATCH = 5000


async def verify(
    conn: asyncpg.Connection | asyncpg.Pool, anchors: Iterable[tuple[int, str]] = ()
) -> ChainCheck:
    """Recompute the chain (in batches, flat memory) and check each anchor (seq, hash)."""
    wanted = dict(anchors)
    prev = GENESIS
    count = 0
    last_seq = 0
    while True:
        rows = await conn.fetch(
            "SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2", last_seq, BATCH
        )
        for row in rows:
            count += 1
            seq = row["seq"]
            if seq != count:
                return ChainCheck(count, False, seq, f"gap: expected seq {count}")
            if row["prev_hash"] != prev:
                return ChainCheck(count, False, seq, "prev_hash does not match the previous entry")
            digest = entry_hash(
                prev, seq, row["at"], row["actor"], row["action"], row["subject"], row["payload"]
            )
            if digest != row["hash"]:
                return ChainCheck(count, False, seq, "hash does not match the entry's content")
            anchored = wanted.get(seq)
            if anchored is not None and anchored != digest:
                return ChainCheck(
                    count, False, seq, "entry differs from its anchor: the chain was rewritten"
                )
            prev = digest
            last_seq = seq
        if len(rows) < BATCH:
            break
    beyond = sorted(seq for seq in wanted if seq > count)
    if beyond:
        return ChainCheck(
            count,
            False,
            beyond[0],
            f"anchor at seq {beyond[0]} is past the chain's end ({count} entries): "
            "entries were deleted or truncated",
            count,
            prev,
        )
    return ChainCheck(count, True, None, "", count, prev)


def audit_key(settings) -> str:
    """ONEASSESS_AUDIT_KEY, else a key generated once into the data directory, owner-only
    from the moment it exists (the first writer wins; a concurrent start reads the same)."""
    if settings.audit_key:
        return settings.audit_key
    path = settings.home / "audit-key"
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_text().strip()


def sign_head(secret: str, service: str, seq: int, digest: str) -> str:
    """HMAC-SHA256 (hex) of a head, so a kept anchor can be told from an invented one."""
    message = f"{service}:{seq}:{digest}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


async def answer_verify(pool: asyncpg.Pool, request: Any, pb: Any, *, service: str, secret: str):
    """The VerifyAuditChain RPC of any service (`pb` is its generated module)."""
    check = await verify(pool, [(a.seq, a.hash) for a in request.anchors])
    return pb.VerifyAuditChainResponse(
        service=service,
        entries=check.entries,
        ok=check.ok,
        first_bad_seq=check.first_bad_seq or 0,
        reason=check.reason,
        head=pb.AuditAnchor(seq=check.head_seq, hash=check.head_hash),
        head_signature=sign_head(secret, service, check.head_seq, check.head_hash),
    )
