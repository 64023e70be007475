"""A worker wired to the fake services on a real Temporal dev server, and the CLI run the way
a person runs it (typer's runner, in a thread so it can start its own event loop)."""

from __future__ import annotations

import asyncio
import os
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from temporalio.client import Client
from typer.testing import CliRunner

from oneassess.client.channels import ServiceClients
from oneassess.config import Settings
from tests.conftest import issuer_environment, make_settings, token_for
from tests.workflows.fake_services import FakeServices, serve
from workflows import control
from workflows.config import NotifySettings
from workflows.worker import build_worker


@dataclass
class Harness:
    client: Client
    fakes: FakeServices
    address: str
    settings: Settings
    env: dict[str, str]

    async def cli(self, *args: str):
        from cli import common
        from cli.main import _take_as_option, app

        common.acting.value = "admin"  # each command starts as a fresh process would
        argv = _take_as_option(list(args))
        return await asyncio.to_thread(CliRunner().invoke, app, argv, env=self.env)


def cli_env(home: Path, temporal_address: str, namespace: str, services: str) -> dict[str, str]:
    return {
        "ONEASSESS_HOME": str(home),
        **issuer_environment(),
        "TEMPORAL_ADDRESS": temporal_address,
        "TEMPORAL_NAMESPACE": namespace,
        "INDICATORS_ADDRESS": services,
        "SUBMISSIONS_ADDRESS": services,
        "SCORING_ADDRESS": services,
        "COLUMNS": "200",
    }


@asynccontextmanager
async def fake_stack(
    client: Client, tmp_path: Path, *, notify: NotifySettings | None = None, run_worker: bool = True
):
    fakes = FakeServices(blob_dir=tmp_path / "blobs")
    server, address = await serve(fakes)
    env = cli_env(
        tmp_path / "home", client.service_client.config.target_host, client.namespace, address
    )
    settings = make_settings(
        tmp_path / "home",
        "",
        TEMPORAL_ADDRESS=env["TEMPORAL_ADDRESS"],
        TEMPORAL_NAMESPACE=client.namespace,
        TEMPORAL_TASK_QUEUE=f"q-{os.urandom(4).hex()}",
        INDICATORS_ADDRESS=address,
        SUBMISSIONS_ADDRESS=address,
        SCORING_ADDRESS=address,
    )
    env["TEMPORAL_TASK_QUEUE"] = settings.temporal_task_queue
    services = ServiceClients(
        {n: address for n in ("indicators", "submissions", "scoring")}, token_for("service")
    )
    harness = Harness(client, fakes, address, settings, env)
    try:
        if run_worker:
            async with build_worker(client, settings, notify or NotifySettings(), services):
                yield harness
        else:
            yield harness
    finally:
        await services.close()
        await server.stop(0)


# Waits in these tests are for conditions, with ceilings generous enough for a busy 2-core
# machine: a slow run waits longer, only a stuck one fails.
CEILING_SECONDS = 300.0


async def eventually(check, *, what: str, within: float = CEILING_SECONDS, every: float = 0.1):
    """Until `await check()` returns something truthy (which is returned); AssertionError
    naming `what` past `within` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        found = await check()
        if found:
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what}: not within {within:.0f}s")
        await asyncio.sleep(every)


async def export_summary(client: Client, cycle_code: str, within: float = CEILING_SECONDS):
    """The history export's result once the cycle has closed and its histories are stored."""
    closed = await control.wait_until_closed(client, cycle_code, within_seconds=within)
    return closed.exports


@asynccontextmanager
async def indicators_service(harness: Harness, database_url: str, tmp_path: Path, code: str):
    """The real indicators service (its own PostgreSQL) driving the harness's dev server and
    task queue, its peers the fake services, with a folded cycle `code` (the sample city's
    plan under another code: the dev server is shared); the harness's CLI environment points
    at it. Yields the running service."""
    import shutil

    from services.common.auth import Role
    from tests.conftest import EXAMPLE, start_stack, stop_stack
    from tests.support.submissions import fold_example

    example = tmp_path / f"example-{code}"
    shutil.copytree(EXAMPLE, example)
    plan = example / "cycle.yaml"
    plan.write_text(plan.read_text().replace("code: haizhou-2026", f"code: {code}", 1))
    settings = make_settings(
        tmp_path / f"indicators-{code}",
        database_url,
        TEMPORAL_ADDRESS=harness.env["TEMPORAL_ADDRESS"],
        TEMPORAL_NAMESPACE=harness.env["TEMPORAL_NAMESPACE"],
        TEMPORAL_TASK_QUEUE=harness.settings.temporal_task_queue,
        SUBMISSIONS_ADDRESS=harness.address,
        SCORING_ADDRESS=harness.address,
    )
    running = await start_stack(settings, ("indicators",))
    try:
        assert await fold_example(running.as_(Role.ADMIN), example) == code
        harness.env["INDICATORS_ADDRESS"] = running.address("indicators")
        yield running
    finally:
        harness.env["INDICATORS_ADDRESS"] = harness.address
        await stop_stack(running)
