"""PostgreSQL out of reach for 30 s (the proxy resets every connection and refuses new ones,
as a stopped server does) while `oneassess submit` uploads several files: the CLI says it is
waiting and rides it out, every file is stored once, and health goes NOT_SERVING (saying why)
and back to SERVING by itself."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
import time

import pytest

from oneassess.client.channels import channel
from oneassess.client.health import Health, check
from tests.conftest import issuer_environment, make_settings, start_stack, stop_stack
from tests.faults.conftest import through, wait_for
from tests.support import submissions as s

pytestmark = [pytest.mark.faults, pytest.mark.slow]

OUTAGE_SECONDS = 30.0
FILES = 3


async def _watch(address: str, seen: list[Health], stop: asyncio.Event) -> None:
    async with channel(address, None) as ch:
        while not stop.is_set():
            seen.append(await check(ch, within_seconds=2))
            await asyncio.sleep(0.2)


async def test_submit_rides_out_a_stopped_database(tmp_path, database_url, database_proxy):
    settings = make_settings(
        tmp_path / "home",
        through(database_url, database_proxy),
        ONEASSESS_READINESS_SECONDS="0.5",
    )
    stack = await start_stack(settings, ("indicators", "submissions"))
    stop = asyncio.Event()
    seen: list[Health] = []
    watcher = asyncio.create_task(_watch(stack.address("submissions"), seen, stop))
    processes: list[asyncio.subprocess.Process] = []
    try:
        await s.fold_example(stack.admin)
        await s.open_window(stack.admin)
        await wait_for(lambda: _latest_serving(seen, True), "SERVING before the outage")
        files = []
        for i in range(FILES):
            path = tmp_path / f"plan-{i}.pdf"
            path.write_bytes(s.pdf(seed=f"outage-{i}"))
            files.append(path)

        # PostgreSQL goes away: every connection reset, new ones refused.
        started = time.monotonic()
        database_proxy.refuse(True)
        await database_proxy.drop_all()

        env = {
            **os.environ,
            "ONEASSESS_HOME": str(settings.home),
            **issuer_environment(),
            "SUBMISSIONS_ADDRESS": stack.address("submissions"),
            "INDICATORS_ADDRESS": stack.address("indicators"),
            "SCORING_ADDRESS": "127.0.0.1:1",
            "COLUMNS": "200",
        }
        for path in files:
            command = [
                *("-m", "cli.main", "submit", s.CYCLE, str(path), "--unit", s.UNIT),
                *("--key", s.KEY, "--json", "--as", f"unit:{s.UNIT}"),
            ]
            process = await asyncio.create_subprocess_exec(
                sys.executable, *command, env=env, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            processes.append(process)
        # Each CLI says it is waiting for the server (on its first retry).
        said = [
            (await asyncio.wait_for(p.stderr.readline(), timeout=60)).decode() for p in processes
        ]
        for line in said:
            assert "waiting for the server (UNAVAILABLE: database unavailable" in line, line
            assert "retrying with the same request id" in line, line
        await wait_for(lambda: _latest_serving(seen, False), "NOT_SERVING during the outage")
        down = seen[-1]
        assert down.reason.startswith("database unreachable"), down
        assert not down.serving

        # A client told to wait only a second gives up with a sentence that says why.
        impatient = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cli.main", "extension", "request", s.CYCLE, "--unit", s.UNIT,
            "--days", "3", "--reason", "flood", "--as", f"unit:{s.UNIT}",
            env={**env, "ONEASSESS_RETRY_SECONDS": "1"},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, complaint = await asyncio.wait_for(impatient.communicate(), timeout=60)
        assert impatient.returncode == 1
        assert "the service runs but cannot work right now (database unavailable" in (
            complaint.decode()
        ), complaint.decode()

        # The outage lasts its 30 s, then PostgreSQL is back.
        await asyncio.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - started)))
        assert all(p.returncode is None for p in processes), "a CLI gave up during the outage"
        database_proxy.refuse(False)

        outputs = [await asyncio.wait_for(p.communicate(), timeout=180) for p in processes]
        for p, (stdout, stderr) in zip(processes, outputs, strict=True):
            assert p.returncode == 0, stderr.decode()
            assert json.loads(stdout)["submission"]["unit_code"] == s.UNIT
        await wait_for(lambda: _latest_serving(seen, True), "SERVING again after the outage")

        pool = stack.pool("submissions")
        for path in files:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            assert (
                await pool.fetchval("SELECT count(*) FROM submissions WHERE sha256 = $1", digest)
                == 1
            ), path.name
        assert await pool.fetchval("SELECT count(*) FROM submissions") == FILES
    finally:
        database_proxy.refuse(False)
        for p in processes:
            if p.returncode is None:
                p.kill()
                await p.wait()
        stop.set()
        await asyncio.gather(watcher, return_exceptions=True)
        await stop_stack(stack)


async def _latest_serving(seen: list[Health], serving: bool) -> bool:
    return bool(seen) and seen[-1].serving is serving
