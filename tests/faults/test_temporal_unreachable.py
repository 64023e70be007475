"""With Temporal unreachable, every command that needs it answers one clear sentence within
10 s: whether the address refuses connections (nothing listens) or accepts them and never
answers (a stopped server, a network that drops packets)."""

from __future__ import annotations

import asyncio
import os
import sys
import time

import pytest

from localstack.ports import free_port
from tests.conftest import issuer_environment

pytestmark = pytest.mark.faults

COMMANDS = [
    ("cycle", "status", "haizhou-2026"),
    ("cycle", "close-collection", "haizhou-2026"),
    ("extension", "grant", "haizhou-2026", "--unit", "baiquan-town", "--days", "3"),
    ("audit", "history", "haizhou-2026", "--as", "auditor"),
]


async def _run(tmp_path, temporal_address: str, args: tuple[str, ...]) -> tuple[int, str, float]:
    env = {
        **os.environ,
        "ONEASSESS_HOME": str(tmp_path / "home"),
        **issuer_environment(),
        "TEMPORAL_ADDRESS": temporal_address,
        "INDICATORS_PORT": str(free_port()),
        "SUBMISSIONS_PORT": str(free_port()),
        "SCORING_PORT": str(free_port()),
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
async def test_refused_connections_are_one_sentence(tmp_path, args):
    address = f"127.0.0.1:{free_port()}"  # nothing listens
    code, output, seconds = await _run(tmp_path, address, args)
    assert code == 1, output
    _one_sentence(output, address)
    assert "connection refused" in output
    assert seconds < 10, f"{seconds:.1f}s"


async def test_a_server_that_never_answers_is_one_sentence_within_10_seconds(tmp_path):
    held: list[asyncio.StreamWriter] = []

    async def accept_and_ignore(reader, writer) -> None:
        held.append(writer)  # accepted by the kernel, never answered: a SIGSTOPped server

    server = await asyncio.start_server(accept_and_ignore, "127.0.0.1", 0)
    address = f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        for args in COMMANDS[:2]:
            code, output, seconds = await _run(tmp_path, address, args)
            assert code == 1, output
            _one_sentence(output, address)
            assert "did not answer within" in output
            assert seconds < 10, f"{args}: {seconds:.1f}s"
    finally:
        server.close()
        for writer in held:
            writer.close()
