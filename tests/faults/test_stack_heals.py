"""The local stack heals: its supervisor starts a killed child again by itself, `oneassess up`
starts whatever is missing while the rest runs (and says what), and `oneassess status` names a
child that runs but cannot work."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path

import psutil
import pytest

from tests.e2e.conftest import oneassess, stack_environment
from tests.faults.conftest import wait_for

pytestmark = [pytest.mark.faults, pytest.mark.slow]


@pytest.fixture(scope="module")
def stack_env(tmp_path_factory):
    env = stack_environment(tmp_path_factory.mktemp("heal") / "home")
    started = oneassess(env, "up", timeout=300)
    try:
        assert started.code == 0, started.stdout + started.stderr
        assert "supervisor" in started.stdout
        yield env
    finally:
        oneassess(env, "down", timeout=120)


def _pid(env: dict[str, str], name: str) -> int | None:
    try:
        pid = int((Path(env["ONEASSESS_HOME"]) / "run" / f"{name}.pid").read_text())
    except (OSError, ValueError):
        return None
    try:
        if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            return None
    except psutil.NoSuchProcess:
        return None
    return pid


async def _status(env: dict[str, str]) -> dict[str, dict[str, str]]:
    ran = await asyncio.to_thread(oneassess, env, "status", "--json", timeout=60)
    assert ran.code == 0, ran.stdout + ran.stderr
    return {row["name"]: row for row in json.loads(ran.stdout)}


async def test_a_killed_child_is_started_again_by_the_supervisor(stack_env):
    before = _pid(stack_env, "scoring")
    assert before is not None
    os.kill(before, signal.SIGKILL)

    async def back() -> bool:
        pid = _pid(stack_env, "scoring")
        if pid in (None, before):
            return False
        return (await _status(stack_env))["scoring"]["state"] == "running"

    await wait_for(back, "scoring restarted by the supervisor and SERVING", within=90)
    rows = await _status(stack_env)
    assert "restarted 1x" in rows["scoring"]["detail"], rows["scoring"]
    log = Path(stack_env["ONEASSESS_HOME"]) / "logs" / "supervisor.log"
    said = log.read_text()
    # (`up` started it, so the supervisor cannot know how it ended; one it started itself it
    # can: "killed by SIGKILL")
    assert "scoring exited; starting it again in 1s" in said, said
    assert f"log: {Path(stack_env['ONEASSESS_HOME']) / 'logs' / 'scoring.log'}" in said


async def test_up_starts_what_is_missing_and_leaves_the_rest_running(stack_env):
    # The supervisor goes first, so only `up` can bring the service back.
    supervisor, service = _pid(stack_env, "supervisor"), _pid(stack_env, "submissions")
    others = {name: _pid(stack_env, name) for name in ("temporal", "indicators", "worker")}
    assert supervisor and service and all(others.values())
    os.kill(supervisor, signal.SIGKILL)
    os.kill(service, signal.SIGKILL)
    await wait_for(
        lambda: _gone(stack_env, "submissions", "supervisor"), "both processes gone", within=30
    )
    stopped = await _status(stack_env)
    assert stopped["submissions"]["state"] == "stopped"

    ran = await asyncio.to_thread(oneassess, stack_env, "up", timeout=300)
    assert ran.code == 0, ran.stdout + ran.stderr
    assert "started: submissions, supervisor" in ran.stdout, ran.stdout
    rows = await _status(stack_env)
    assert rows["submissions"]["state"] == "running", rows["submissions"]
    assert "outbox 0 undelivered" in rows["submissions"]["detail"], rows["submissions"]
    assert {name: _pid(stack_env, name) for name in others} == others  # left alone


async def test_status_names_a_service_that_cannot_reach_its_database(stack_env):
    from localstack.postgres import EmbeddedPostgres

    postgres = EmbeddedPostgres(Path(stack_env["ONEASSESS_HOME"]) / "postgres")
    await asyncio.to_thread(postgres.stop)

    async def unhealthy() -> bool:
        return (await _status(stack_env))["indicators"]["state"].startswith(
            "unhealthy (database unreachable"
        )

    await wait_for(unhealthy, "status says indicators cannot reach its database", within=60)
    ran = await asyncio.to_thread(oneassess, stack_env, "up", timeout=300)
    assert ran.code == 0, ran.stdout + ran.stderr
    assert "started: postgres" in ran.stdout, ran.stdout

    async def healthy() -> bool:
        rows = await _status(stack_env)
        return all(rows[name]["state"] == "running" for name in ("indicators", "submissions"))

    await wait_for(healthy, "the services serve again once PostgreSQL is back", within=60)


async def _gone(env: dict[str, str], *names: str) -> bool:
    return all(_pid(env, name) is None for name in names)


async def test_status_names_a_stopped_temporal(stack_env):
    temporal = _pid(stack_env, "temporal")
    assert temporal is not None
    os.kill(temporal, signal.SIGSTOP)  # alive, accepting connections, answering nothing
    try:
        rows = await _status(stack_env)
        assert rows["temporal"]["state"] == "unhealthy (not answering)", rows["temporal"]
    finally:
        os.kill(temporal, signal.SIGCONT)

    async def answering() -> bool:
        return (await _status(stack_env))["temporal"]["state"] == "running"

    await wait_for(answering, "Temporal answers again after SIGCONT", within=60)
