"""The store primitives every service shares, under concurrency on a real PostgreSQL: the
audit chain's appends, request-id claims and the services' database roles
(services.common.audit, .idempotency, .db)."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from google.protobuf.wrappers_pb2 import StringValue

from services.common import audit, db, idempotency
from services.common.errors import InvalidArgument
from services.indicators.service import SPEC
from tests.support.proxy import TcpProxy


@pytest.fixture
async def pool(database_url):
    await db.migrate(database_url, "indicators", db.load_migrations("indicators", SPEC.migrations))
    pool = await db.create_pool(database_url, "indicators", max_size=8)
    yield pool
    await pool.close()


async def test_concurrent_appends_keep_one_chain(pool):
    async def append(n: int) -> None:
        async with pool.acquire() as conn, conn.transaction():
            await audit.append(conn, actor="test", action="t.n", subject=str(n), payload={"n": n})
            await asyncio.sleep(0.01)  # hold the head: the others wait, then read the new one

    await asyncio.gather(*(append(n) for n in range(40)))
    check = await audit.verify(pool)
    assert check.ok, check.reason
    assert check.entries == 40
    subjects = await pool.fetch("SELECT subject FROM audit_log")
    assert sorted(int(r["subject"]) for r in subjects) == list(range(40))


async def test_a_rolled_back_append_leaves_no_gap(pool):
    with pytest.raises(RuntimeError):
        async with pool.acquire() as conn, conn.transaction():
            await audit.append(conn, actor="test", action="t", subject="gone", payload={})
            raise RuntimeError("the work failed after its audit entry")
    async with pool.acquire() as conn, conn.transaction():
        await audit.append(conn, actor="test", action="t", subject="kept", payload={})
    check = await audit.verify(pool)
    assert check.ok and check.entries == 1, check


async def test_concurrent_duplicates_run_the_work_once(pool):
    runs = []

    async def work(conn) -> StringValue:
        runs.append(await conn.fetchval("SELECT txid_current()"))
        await asyncio.sleep(0.05)  # the duplicates arrive while this one is open
        return StringValue(value=f"made by {runs[-1]}")

    async def call() -> StringValue:
        return await idempotency.run_once(
            pool, method="Make", request_id="once", fingerprint="f", response_type=StringValue,
            work=work,
        )  # fmt: skip

    answers = await asyncio.gather(*(call() for _ in range(8)))
    assert len(runs) == 1
    assert {a.value for a in answers} == {f"made by {runs[0]}"}
    stored = await pool.fetchval("SELECT response FROM idempotency WHERE request_id = 'once'")
    assert StringValue.FromString(stored) == answers[0]  # never the claim's blank


async def test_a_request_id_reused_for_other_content_is_refused(pool):
    async def work(conn) -> StringValue:
        return StringValue(value="first")

    await idempotency.run_once(
        pool, method="Make", request_id="r", fingerprint="a", response_type=StringValue, work=work
    )
    with pytest.raises(InvalidArgument) as refused:
        await idempotency.run_once(
            pool, method="Make", request_id="r", fingerprint="b", response_type=StringValue,
            work=work,
        )  # fmt: skip
    assert "already used for a different Make request" in str(refused.value)


async def test_failed_work_leaves_the_request_id_free(pool):
    async def failing(conn) -> StringValue:
        raise RuntimeError("refused half way")

    async def working(conn) -> StringValue:
        return StringValue(value="second try")

    with pytest.raises(RuntimeError):
        await idempotency.run_once(
            pool, method="Make", request_id="x", fingerprint="f", response_type=StringValue,
            work=failing,
        )  # fmt: skip
    answer = await idempotency.run_once(
        pool, method="Make", request_id="x", fingerprint="f", response_type=StringValue,
        work=working,
    )  # fmt: skip
    assert answer.value == "second try"


async def test_one_role_password_whatever_address_reaches_the_cluster(database_url, pool):
    """A replica setting the role up through a proxy (or PgBouncer) must not change the
    password under a replica that reaches the cluster directly: roles belong to the cluster."""
    parts = urlsplit(database_url)
    proxy = await TcpProxy.start(parts.hostname, parts.port)
    try:
        credentials = parts.netloc.rpartition("@")[0]
        via_proxy = urlunsplit(parts._replace(netloc=f"{credentials}@{proxy.address}"))
        direct = await db.ensure_service_role(database_url, "indicators")
        proxied = await db.ensure_service_role(via_proxy, "indicators")
        assert urlsplit(proxied).password == urlsplit(direct).password
        conn = await asyncpg.connect(direct)  # still signs in after the proxied set-up
        assert await conn.fetchval("SELECT current_user") == "oneassess_indicators"
        await conn.close()
    finally:
        await proxy.close()


async def test_the_service_role_owns_its_functions(database_url, pool):
    """The audit chain's lock-and-head is a function: the service role must run it even where
    the database revokes the default EXECUTE from PUBLIC (a hardened or managed cluster)."""
    admin = await asyncpg.connect(database_url)
    try:  # as its owner, before the service takes the schema over
        await admin.execute("REVOKE EXECUTE ON FUNCTION indicators.audit_lock_head() FROM PUBLIC")
    finally:
        await admin.close()
    role_url = await db.ensure_service_role(database_url, "indicators")
    as_service = await db.create_pool(role_url, "indicators", max_size=1)
    try:
        async with as_service.acquire() as conn, conn.transaction():
            assert await conn.fetchval("SELECT current_user") == "oneassess_indicators"
            await audit.append(conn, actor="test", action="t", subject="owned", payload={})
    finally:
        await as_service.close()
    check = await audit.verify(pool)
    assert check.ok and check.entries == 1, check
