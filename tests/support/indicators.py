"""Helpers the indicators service tests share (this module holds no tests)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import grpc
import pytest

from oneassess.client.channels import ServiceClients
from oneassess.indicators.v1 import indicators_service_pb2 as pb
from tests.conftest import EXAMPLE, Stack, make_settings, start_stack, stop_stack

SPECIAL_ASSESSMENTS = sorted((EXAMPLE / "special-assessments").glob("*.yaml"))
TABLES = ("special_assessments", "units", "cycles", "cycle_versions", "audit_log", "idempotency")


def source(
    name: str, content: bytes | str, fmt: int = pb.SOURCE_FORMAT_UNSPECIFIED
) -> pb.SourceFile:
    return pb.SourceFile(
        name=name, content=content.encode() if isinstance(content, str) else content, format=fmt
    )


def file_source(path: Path) -> pb.SourceFile:
    return source(path.name, path.read_bytes())


async def import_sample(
    clients: ServiceClients, paths: list[Path] | None = None
) -> list[pb.SpecialAssessment]:
    stored = []
    for path in SPECIAL_ASSESSMENTS if paths is None else paths:
        response = await clients.indicators.ImportSpecialAssessment(
            pb.ImportSpecialAssessmentRequest(file=file_source(path))
        )
        stored.append(response.special_assessment)
    return stored


async def import_units(
    clients: ServiceClients, path: Path = EXAMPLE / "units.yaml"
) -> pb.ImportUnitsResponse:
    return await clients.indicators.ImportUnits(pb.ImportUnitsRequest(file=file_source(path)))


async def create_cycle(
    clients: ServiceClients, plan: bytes | None = None, name: str = "cycle.yaml"
) -> pb.Cycle:
    response = await clients.indicators.CreateCycle(
        pb.CreateCycleRequest(
            plan=source(name, plan if plan is not None else (EXAMPLE / "cycle.yaml").read_bytes()),
            tolerance=file_source(EXAMPLE / "tolerance.yaml"),
        )
    )
    return response.cycle


async def sample_folded(clients: ServiceClients) -> pb.Cycle:
    """The sample city imported, created and folded."""
    await import_units(clients)
    await import_sample(clients)
    cycle = await create_cycle(clients)
    return (await clients.indicators.FoldCycle(pb.FoldCycleRequest(cycle_code=cycle.code))).cycle


async def counts(pool) -> dict[str, int]:
    """Rows per table of the indicators schema: equal before and after means nothing changed."""
    async with pool.acquire() as conn:
        return {table: await conn.fetchval(f"SELECT count(*) FROM {table}") for table in TABLES}


async def rejected(call: Awaitable, code: grpc.StatusCode) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call
    assert err.value.code() == code, err.value.details()
    return err.value


@asynccontextmanager
async def indicators_stack(postgres_base_url: str, home: Path) -> AsyncIterator[Stack]:
    """The indicators service alone on a database of its own, for module-scoped fixtures whose
    tests each check what they changed (the per-test `services_stack` is slower to start)."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(postgres_base_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    stack = await start_stack(
        make_settings(home, f"{postgres_base_url.rpartition('/')[0]}/{name}"), ("indicators",)
    )
    try:
        yield stack
    finally:
        await stop_stack(stack)
        admin = await asyncpg.connect(postgres_base_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
