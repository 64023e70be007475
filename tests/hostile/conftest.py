"""The hostile-input suite's shared stack and checks.

One stack per module (all three services in-process on real ports, a database of its own, the
sample cycle folded and its collection window open), so the many refusals below each cost a
call, not a start-up. Every check of a refusal is the same: the right status, an answer that
comes promptly (a generous ceiling: speed targets belong in bench/), a message that does not
echo the input, nothing written, and the services still SERVING.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable

import asyncpg
import grpc
import psutil
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.conftest import Stack, make_settings, start_stack, stop_stack
from tests.support import submissions as s

# A refusal must not wait on anything: far below this on an idle machine, and the shared
# 2-core test machine still stays well under it.
PROMPT_SECONDS = 5.0
# The services' process (here: the test process hosting them) stays under this throughout.
MAX_RSS_BYTES = 300 * 1024 * 1024
# gRPC refuses trailers over 16 KiB; a message stays far below.
MAX_DETAILS_CHARS = 2000
SCHEMAS = ("indicators", "submissions", "scoring")


@pytest.fixture(scope="module")
async def hostile(postgres_base_url, tmp_path_factory) -> Stack:
    name = f"h_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(postgres_base_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base, _, _ = postgres_base_url.rpartition("/")
    settings = make_settings(
        tmp_path_factory.mktemp("home"), f"{base}/{name}", ONEASSESS_UPLOAD_IDLE_SECONDS="2"
    )
    stack = await start_stack(settings)
    try:  # a failed set-up stops the stack too: nothing outlives its database
        await s.fold_example(stack.admin)
        await s.open_window(stack.admin)
        yield stack
    finally:
        await stop_stack(stack)
    admin = await asyncpg.connect(postgres_base_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def row_counts(stack: Stack) -> dict[str, int]:
    """Rows of every table of every service: "nothing written" means these stay equal."""
    pool = await asyncpg.connect(stack.settings.database_url)  # the administrative role
    try:
        return await _row_counts(pool)
    finally:
        await pool.close()


async def _row_counts(pool) -> dict[str, int]:
    tables = await pool.fetch(
        "SELECT table_schema, table_name FROM information_schema.tables"
        " WHERE table_schema = ANY($1) AND table_type = 'BASE TABLE'",
        list(SCHEMAS),
    )
    counts = {}
    for t in tables:
        qualified = f'"{t["table_schema"]}"."{t["table_name"]}"'
        counts[qualified] = await pool.fetchval(f"SELECT count(*) FROM {qualified}")
    return counts


async def all_serving(stack: Stack) -> bool:
    for service in stack.running:
        async with grpc.aio.insecure_channel(stack.address(service)) as channel:
            reply = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=5
            )
            if reply.status != health_pb2.HealthCheckResponse.SERVING:
                return False
    return True


def rss_bytes() -> int:
    return psutil.Process().memory_info().rss


async def refused(
    call: Awaitable, code: grpc.StatusCode, *, field: str = "", memory: bool = True
) -> grpc.aio.AioRpcError:
    """Await a call that must be refused with `code`, promptly, with a short message naming
    `field` when given, the process hosting the services under MAX_RSS_BYTES (unless the
    caller itself, in this same process, sends something huge); returns the error."""
    started = time.monotonic()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        result = await call
        if hasattr(result, "__aiter__"):
            async for _ in result:
                pass
    elapsed = time.monotonic() - started
    err = caught.value
    assert err.code() == code, f"{err.code()}: {err.details()}"
    assert elapsed < PROMPT_SECONDS, f"took {elapsed:.1f} s"
    details = err.details() or ""
    assert len(details) < MAX_DETAILS_CHARS, f"{len(details)} characters of details"
    if field:
        assert details.startswith(field) or f"{field}:" in details, details
    if memory:
        assert rss_bytes() < MAX_RSS_BYTES
    return err
