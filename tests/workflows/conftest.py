"""Fixtures of the workflow tests (the Temporal servers themselves are in tests/conftest.py):
fake services on a real gRPC port, a worker wired to them, a cycle running on the
time-skipping server, a dev server with a lowered pending-children limit, a webhook
receiver."""

from __future__ import annotations

import contextlib
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from temporalio.service import RPCError
from temporalio.worker import Worker

from oneassess.client.channels import ServiceClients
from oneassess.contract import cycle_workflow_id, unit_workflow_id
from tests.conftest import start_dev_server, token_for
from tests.workflows.fake_services import FakeServices, city, serve
from tests.workflows.fakes import (
    ACTIVITIES_OPENS,
    ADMIN_ASKS,
    ADMIN_UNITS,
    DAY,
    PENDING_CHILDREN_LIMIT,
    Recorder,
    haizhou_like_calendar,
    plan,
)
from tests.workflows.harness import fake_stack
from workflows.cycle import CycleWorkflow
from workflows.export import HistoryExportWorkflow
from workflows.model import CycleInput
from workflows.unit import UnitWorkflow


@pytest.fixture
async def services(tmp_path):
    """The fake services with cycle `act-2026` (2 units, 3 asks), and clients of them."""
    fakes = FakeServices(blob_dir=tmp_path / "blobs")
    fakes.cities["act-2026"] = city("act-2026", ACTIVITIES_OPENS, 2, asks=3)
    server, address = await serve(fakes)
    clients = ServiceClients(
        {n: address for n in ("indicators", "submissions", "scoring")}, token_for("service")
    )
    yield fakes, clients
    await clients.close()
    await server.stop(0)


@pytest.fixture
async def stack(dev_server, tmp_path):
    """A worker on the session's dev server wired to fake services, and the CLI."""
    async with fake_stack(dev_server.client, tmp_path) as stack:
        yield stack


@pytest.fixture
def cycle_code() -> str:
    return f"tc-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def running_cycle(workflow_env):
    """A cycle of ADMIN_UNITS collecting on the time-skipping server, fake activities."""
    env = workflow_env
    code = f"adm-{uuid.uuid4().hex[:8]}"
    calendar = haizhou_like_calendar(await env.get_current_time() + DAY)
    asks = {"township": ADMIN_ASKS, "department": ADMIN_ASKS}
    rec = Recorder(plan(code, calendar, ADMIN_UNITS, asks), env.client)
    queue = f"q-{code}"
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[CycleWorkflow, UnitWorkflow, HistoryExportWorkflow],
        activities=rec.activities(),
    ):
        handle = await env.client.start_workflow(
            CycleWorkflow.run,
            CycleInput(code, calendar=calendar),
            id=cycle_workflow_id(code),
            task_queue=queue,
        )
        await env.sleep(2 * DAY)  # collecting
        yield env, handle, rec, calendar
        # Leave nothing running: the shared test server will not skip time past open tasks.
        for workflow_id in [handle.id, *(unit_workflow_id(code, u.code) for u in ADMIN_UNITS)]:
            with contextlib.suppress(RPCError):
                await env.client.get_workflow_handle(workflow_id).terminate("test over")


@pytest.fixture(scope="module")
async def limited_server(tmp_path_factory):
    """A dev server of the module's own that refuses more than PENDING_CHILDREN_LIMIT
    pending children per workflow."""
    env = await start_dev_server(
        tmp_path_factory.mktemp("limited"),
        dynamic_config={"limit.numPendingChildExecutions.error": str(PENDING_CHILDREN_LIMIT)},
    )
    yield env
    await env.shutdown()


@pytest.fixture
def receiver():
    """A webhook receiver: (url, [(headers, body)], {"code": status to answer})."""
    received: list[tuple[dict, bytes]] = []
    status = {"code": 204}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            self.send_response(status["code"])
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received, status
    server.shutdown()


@pytest.fixture
async def control(stack, database_url, tmp_path):
    """The real indicators service (cycle control) on the `stack` harness, a folded cycle of a
    code of its own known to the fake services too, and the CLI environment pointing at it:
    (code, running indicators service, CLI environment)."""
    from datetime import UTC, datetime

    from tests.workflows.harness import indicators_service

    code = f"ctl-{uuid.uuid4().hex[:6]}"
    async with indicators_service(stack, database_url, tmp_path, code) as running:
        stack.fakes.cities[code] = city(code, datetime.now(UTC), 2, asks=1)
        try:
            yield code, running, dict(stack.env)
        finally:
            await terminate_cycle(stack.client, code)


async def terminate_cycle(client, code: str) -> None:
    """Leave nothing of the cycle running on the shared dev server."""
    with contextlib.suppress(RPCError):
        await client.get_workflow_handle(cycle_workflow_id(code)).terminate("test over")
    async for unit in client.list_workflows(f"CycleCode='{code}' AND ExecutionStatus='Running'"):
        with contextlib.suppress(RPCError):  # it may have finished since it was listed
            await client.get_workflow_handle(unit.id).terminate("test over")
