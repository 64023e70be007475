"""With Temporal unreachable, every command that needs it answers one clear sentence, and the
service answers within 10 s: whether the address refuses connections (nothing listens) or
accepts them and never answers (a stopped server, a network that drops packets). Commands
reach Temporal only through the indicators service's cycle-control RPCs, so the service says
it. The 10 s are timed on the RPC, the part the product bounds: a CLI process's own start
(the interpreter and its imports) takes seconds more on a machine busy with other work."""

from __future__ import annotations

import asyncio
import os
import sys
import time

import grpc
import pytest

from localstack.ports import free_port
from oneassess.indicators.v1 import cycle_control_service_pb2 as cc
from services.common.auth import Role
from tests.conftest import issuer_environment, make_settings, start_stack, stop_stack

pytestmark = pytest.mark.faults

COMMANDS = [
    ("cycle", "status", "haizhou-2026"),
    ("cycle", "close-collection", "haizhou-2026"),
    ("extension", "grant", "haizhou-2026", "--unit", "baiquan-town", "--days", "3"),
    ("audit", "history", "haizhou-2026", "--as", "auditor"),
]


@pytest.fixture
async def indicators_with(tmp_path, database_url):
    """Starts the indicators service (cycle control) against a given Temporal address."""
    started = []

    async def start(temporal_address: str):
        settings = make_settings(
            tmp_path / f"home{len(started)}",
            database_url,
            TEMPORAL_ADDRESS=temporal_address,
            INDICATORS_PORT=str(free_port()),
        )
        started.append(await start_stack(settings, ("indicators",)))
        return started[-1]

    yield start
    for stack in started:
        await stop_stack(stack)


async def _run(tmp_path, port: int, args: tuple[str, ...]) -> tuple[int, str, float]:
    env = {
        **os.environ,
        "ONEASSESS_HOME": str(tmp_path / "cli-home"),
        **issuer_environment(),
        "INDICATORS_ADDRESS": f"127.0.0.1:{port}",
        "SUBMISSIONS_ADDRESS": f"127.0.0.1:{free_port()}",
        "SCORING_ADDRESS": f"127.0.0.1:{free_port()}",
        "COLUMNS": "300",  # one sentence stays on one line
    }
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli.main", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode, (stdout + stderr).decode(), time.monotonic() - started


def _one_sentence(output: str, address: str) -> None:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith(f"error: Temporal at {address} "), output
    assert "oneassess up" in lines[0] and "Traceback" not in output, output


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:2]))
async def test_refused_connections_are_one_sentence(tmp_path, indicators_with, args):
    address = f"127.0.0.1:{free_port()}"  # nothing listens
    stack = await indicators_with(address)
    code, output, _ = await _run(tmp_path, stack.running["indicators"].port, args)
    assert code == 1, output
    _one_sentence(output, address)
    assert "connection refused" in output


async def _status_seconds(stack) -> tuple[grpc.StatusCode, str, float]:
    """How long the service takes to answer GetCycleStatus, and what it says."""
    started = time.monotonic()
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stack.as_(Role.ADMIN).cycles.GetCycleStatus(
            cc.GetCycleStatusRequest(cycle_code="haizhou-2026"), timeout=60
        )
    return refused.value.code(), refused.value.details(), time.monotonic() - started


async def test_a_server_that_never_answers_is_one_sentence_within_10_seconds(
    tmp_path, indicators_with
):
    held: list[asyncio.StreamWriter] = []

    async def accept_and_ignore(reader, writer) -> None:
        held.append(writer)  # accepted by the kernel, never answered: a SIGSTOPped server

    server = await asyncio.start_server(accept_and_ignore, "127.0.0.1", 0)
    address = f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        stack = await indicators_with(address)
        for args in COMMANDS[:2]:
            code, output, _ = await _run(tmp_path, stack.running["indicators"].port, args)
            assert code == 1, output
            _one_sentence(output, address)
            assert "did not answer within" in output
        for _ in range(2):  # the first call and a later one, which tries to connect again
            status, details, seconds = await _status_seconds(stack)
            assert status == grpc.StatusCode.UNAVAILABLE, details
            assert "did not answer within" in details
            assert seconds < 10, f"{seconds:.1f}s"
    finally:
        server.close()
        for writer in held:
            writer.close()
