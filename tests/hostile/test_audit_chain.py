"""Tampering with a service's audit log, as someone with the database's superuser would: each
edit, deletion, reordering, truncation and recomputation is reported by VerifyAuditChain once
the head has been kept outside the database; TRUNCATE itself is refused; `oneassess audit
verify`'s chain check keeps heads and reports a broken chain."""

from __future__ import annotations

import json
from pathlib import Path

import asyncpg
import pytest

from oneassess.client.chains import load_anchors, verify_chains
from oneassess.indicators.v1 import indicators_service_pb2 as ipb
from services.common.audit import GENESIS, entry_hash
from services.common.auth import Role
from tests.conftest import start_stack, stop_stack
from tests.support import submissions as s

pytestmark = pytest.mark.hostile


@pytest.fixture
async def folded(settings):
    """The three services with the sample cycle folded: the indicators chain has entries."""
    stack = await start_stack(settings)
    try:  # a failed set-up stops the stack too: nothing outlives its database
        await s.fold_example(stack.admin)
        yield stack
    finally:
        await stop_stack(stack)


async def _superuser(settings) -> asyncpg.Connection:
    """A connection that bypasses the append-only triggers (as a database superuser can)."""
    conn = await asyncpg.connect(settings.database_url)
    await conn.execute("SET search_path TO indicators")
    await conn.execute("SET session_replication_role = replica")
    return conn


async def _recompute(conn: asyncpg.Connection) -> None:
    """Rewrite every hash so the chain is consistent again (what a careful forger does)."""
    prev = GENESIS
    for row in await conn.fetch("SELECT * FROM audit_log ORDER BY seq"):
        digest = entry_hash(
            prev, row["seq"], row["at"], row["actor"], row["action"], row["subject"],
            json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"],
        )  # fmt: skip
        await conn.execute(
            "UPDATE audit_log SET prev_hash = $2, hash = $3 WHERE seq = $1",
            row["seq"],
            prev,
            digest,
        )
        prev = digest


async def _chain(stack, anchors=()) -> ipb.VerifyAuditChainResponse:
    return await stack.as_(Role.AUDITOR).indicators.VerifyAuditChain(
        ipb.VerifyAuditChainRequest(anchors=[ipb.AuditAnchor(seq=q, hash=h) for q, h in anchors])
    )


TAMPERING = {
    "forged actor": "UPDATE audit_log SET actor = 'someone-else' WHERE seq = 2",
    "edited payload": "UPDATE audit_log SET payload = '{}'::jsonb WHERE seq = 3",
    "deleted in the middle": "DELETE FROM audit_log WHERE seq = 2",
    "reordered": (
        "UPDATE audit_log SET seq = -2 WHERE seq = 2;"
        " UPDATE audit_log SET seq = 2 WHERE seq = 3;"
        " UPDATE audit_log SET seq = 3 WHERE seq = -2"
    ),
    "deleted at the end": "DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)",
    "truncated": "TRUNCATE audit_log",
    "edited and recomputed": "UPDATE audit_log SET actor = 'someone-else' WHERE seq = 1",
}


@pytest.mark.parametrize("what", list(TAMPERING))
async def test_each_tampering_is_detected(folded, what):
    before = await _chain(folded)
    assert before.ok and before.entries >= 3, before
    head = (before.head.seq, before.head.hash)
    conn = await _superuser(folded.settings)
    try:
        await conn.execute(TAMPERING[what])
        if what in ("edited and recomputed", "deleted at the end", "truncated"):
            await _recompute(conn)
    finally:
        await conn.close()
    after = await _chain(folded, [head])
    assert not after.ok, after
    assert after.first_bad_seq >= 1 and after.reason


async def test_a_recomputed_chain_alone_looks_intact_but_not_against_its_kept_head(folded):
    head = (await _chain(folded)).head
    conn = await _superuser(folded.settings)
    try:
        await conn.execute("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 1")
        await _recompute(conn)
    finally:
        await conn.close()
    assert (await _chain(folded)).ok  # consistent by itself: why anchors are needed
    rewritten = await _chain(folded, [(head.seq, head.hash)])
    assert not rewritten.ok and "rewritten" in rewritten.reason


async def test_truncate_update_and_delete_are_refused_to_the_service(folded):
    pool = folded.pool("indicators")
    for statement in (
        "TRUNCATE audit_log",
        "DELETE FROM audit_log",
        "UPDATE audit_log SET actor = 'x'",
    ):
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await pool.execute(statement)
    assert (await _chain(folded)).ok


async def test_audit_verify_keeps_heads_outside_the_database_and_reports_every_service(
    folded, tmp_path: Path
):
    anchors = tmp_path / "kept" / "audit-anchors.json"
    auditor = folded.as_(Role.AUDITOR)
    first = await verify_chains(auditor, anchors)
    assert [r.service for r in first] == ["indicators", "submissions", "scoring"]
    assert all(r.ok for r in first)
    assert anchors.stat().st_mode & 0o077 == 0  # owner-only from the start
    kept = load_anchors(anchors)
    assert kept["indicators"][0]["seq"] == first[0].head_seq

    conn = await _superuser(folded.settings)
    try:
        await conn.execute("DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)")
        await _recompute(conn)
    finally:
        await conn.close()
    second = {r.service: r for r in await verify_chains(auditor, anchors)}
    assert not second["indicators"].ok and "past the chain's end" in second["indicators"].reason
    assert second["submissions"].ok and second["scoring"].ok


async def test_each_service_connects_as_its_own_role_and_cannot_write_the_others(folded):
    pool = folded.pool("scoring")
    assert await pool.fetchval("SELECT current_user") == "oneassess_scoring"
    assert await pool.fetchval("SELECT count(*) FROM scoring.audit_log") >= 0
    for statement in (
        "INSERT INTO indicators.audit_log (seq, at, actor, action, subject, payload,"
        " prev_hash, hash) VALUES (999, now(), 'x', 'x', 'x', '{}', 'x', 'x')",
        "SELECT count(*) FROM submissions.submissions",
        "CREATE TABLE indicators.intruder (x int)",
    ):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await pool.execute(statement)
    owner = await pool.fetchval(
        "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'indicators'"
    )
    assert owner == "oneassess_indicators"
