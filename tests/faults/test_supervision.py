"""Supervised background work: a job that fails is logged and started again after a back-off,
one that hangs is reported stuck, and a relay that cannot work makes the submissions service's
health NOT_SERVING (saying why) until it works again."""

from __future__ import annotations

import asyncio
import logging

import pytest

from oneassess.client.channels import channel
from oneassess.client.health import check
from services.common import supervisor
from services.common.supervisor import Backoff, Supervisor
from services.submissions.outbox import OutboxRelay
from tests.conftest import start_stack, stop_stack
from tests.faults.conftest import wait_for

pytestmark = pytest.mark.faults

FAST = Backoff(base_seconds=0.01, max_seconds=0.05)


async def test_a_failing_job_is_logged_and_started_again(caplog):
    runs: list[int] = []
    working = asyncio.Event()

    async def job(supervisor: Supervisor) -> None:
        runs.append(len(runs))
        if len(runs) <= 2:
            raise KeyError("a bug")
        working.set()
        while True:
            supervisor.beat()
            await asyncio.sleep(0.01)

    async with Supervisor("job", job, backoff=FAST) as supervised:
        await asyncio.wait_for(working.wait(), timeout=10)
        assert supervised.restarts == 2
        assert supervised.problem is None
    assert supervised.problem == "job stopped"
    failures = [r for r in caplog.records if r.getMessage() == "job: failed"]
    assert len(failures) == 2 and all(r.exc_info for r in failures)  # a bug: its traceback


async def test_a_cancel_that_lands_with_a_wake_up_still_stops_the_relay():
    """Python 3.11's asyncio.wait_for returns the inner result when a cancellation arrives in
    the same loop turn as that result, swallowing the cancel: a relay woken by a commit as its
    service stopped kept running, and the shutdown waited on it."""
    relay = OutboxRelay(None, database_url="", temporal_address="", namespace="")
    idling = asyncio.create_task(relay._idle(30))
    for _ in range(3):
        await asyncio.sleep(0)  # inside the idle wait
    relay._wake.set()
    idling.cancel()
    with pytest.raises(asyncio.CancelledError):
        await idling


async def test_stop_cancels_again_a_job_that_swallowed_the_first_cancel(monkeypatch):
    monkeypatch.setattr(supervisor, "RECANCEL_SECONDS", 0.05)
    cancels = 0

    async def job(supervisor: Supervisor) -> None:
        nonlocal cancels
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                cancels += 1
                if cancels > 1:
                    raise  # the first one is lost, as in a library that swallows it

    supervised = Supervisor("job", job, backoff=FAST)
    supervised.start()
    await asyncio.sleep(0)
    await asyncio.wait_for(supervised.stop(), timeout=30)
    assert cancels == 2 and supervised.problem == "job stopped"


async def test_an_outage_is_one_line_and_a_hung_job_is_stuck(caplog):
    caplog.set_level(logging.WARNING)
    calls = 0

    async def job(supervisor: Supervisor) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionRefusedError(111, "Connection refused")
        await asyncio.Event().wait()  # hangs without a beat

    async with Supervisor("job", job, backoff=FAST, stuck_after_seconds=0.3) as supervised:
        await wait_for(_async(lambda: calls == 2), "the job started again", within=10)
        assert supervised.problem is None
        await wait_for(_async(lambda: supervised.problem is not None), "stuck", within=10)
        assert supervised.problem.startswith("job stuck (no progress for")
    outage = [r for r in caplog.records if "database unavailable (ConnectionRefusedError" in (
        r.getMessage())]  # fmt: skip
    assert len(outage) == 1 and not outage[0].exc_info


async def test_a_relay_that_cannot_work_makes_health_not_serving(settings, monkeypatch):
    stack = await start_stack(
        settings.model_copy(update={"readiness_check_seconds": 0.1}), ("submissions",)
    )
    broken = True
    real = OutboxRelay._connected

    async def connected(self):
        if broken:
            raise ValueError("a bug in the relay")
        return await real(self)

    monkeypatch.setattr(OutboxRelay, "_connected", connected)
    try:
        async with channel(stack.address("submissions"), None) as ch:

            async def relay_down() -> bool:
                health = await check(ch)
                return not health.serving and "relay restarting after" in health.reason

            await wait_for(relay_down, "NOT_SERVING while the relay fails", within=30)
            component = await check(ch, service="oneassess.relay")
            assert not component.serving
            assert (await check(ch, service="oneassess.database")).serving

            broken = False  # fixed: the supervisor's next start works
            await wait_for(lambda: _serving(ch), "SERVING again once the relay runs", within=60)
            assert (await check(ch, service="oneassess.relay")).serving
    finally:
        await stop_stack(stack)


async def _serving(ch) -> bool:
    return (await check(ch)).serving


def _async(condition):
    async def wrapped() -> bool:
        return condition()

    return wrapped


async def test_a_services_supervised_background_job_counts_in_its_health(settings):
    import dataclasses

    from services.common import server
    from services.indicators.service import SPEC

    allowed = asyncio.Event()

    async def sweeper(supervisor: Supervisor) -> None:
        if not allowed.is_set():
            raise ValueError("not yet")
        while True:
            supervisor.beat()
            await asyncio.sleep(0.05)

    spec = dataclasses.replace(
        SPEC, background=lambda runtime: [Supervisor("sweeper", sweeper, backoff=FAST)]
    )
    running = await server.start(
        spec, settings.model_copy(update={"readiness_check_seconds": 0.1}), port=0
    )
    try:
        async with channel(f"127.0.0.1:{running.port}", None) as ch:

            async def failing() -> bool:
                health = await check(ch)
                return not health.serving and "sweeper restarting after" in health.reason

            await wait_for(failing, "NOT_SERVING while the sweeper fails", within=30)
            allowed.set()
            await wait_for(lambda: _serving(ch), "SERVING once the sweeper runs", within=30)
            assert (await check(ch, service="oneassess.sweeper")).serving
    finally:
        await running.stop(grace=0.5)


async def test_a_job_that_always_worked_has_its_component_serving(settings):
    import dataclasses

    from services.common import server
    from services.indicators.service import SPEC

    async def steady(supervisor: Supervisor) -> None:
        while True:
            supervisor.beat()
            await asyncio.sleep(0.05)

    spec = dataclasses.replace(SPEC, background=lambda runtime: [Supervisor("steady", steady)])
    running = await server.start(
        spec, settings.model_copy(update={"readiness_check_seconds": 0.1}), port=0
    )
    try:
        async with channel(f"127.0.0.1:{running.port}", None) as ch:

            async def published() -> bool:
                return (await check(ch, service="oneassess.steady")).serving

            await wait_for(published, "the job's component is published SERVING", within=10)
    finally:
        await running.stop(grace=0.5)
