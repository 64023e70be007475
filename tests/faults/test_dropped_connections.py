"""Connections to PostgreSQL and to Temporal dropped at random points (idle, mid-query,
mid-transaction, mid-signal) while uploads and an extension request run: every upload done
through the client package's retry succeeds exactly once, every event reaches its workflow,
the relay is alive (and listening again) at the end, and no call answered INTERNAL."""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections import Counter
from urllib.parse import urlparse

import asyncpg
import grpc
import pytest
from temporalio.client import Client

from oneassess.client import retry, uploads
from oneassess.client.channels import channel
from oneassess.client.health import check
from oneassess.contract import cycle_workflow_id, unit_workflow_id
from oneassess.submissions.v1 import submissions_service_pb2 as pb
from services.common.auth import Role
from tests.conftest import make_settings, start_stack, stop_stack
from tests.faults.conftest import through, wait_for
from tests.services.test_submissions_outbox import RecordingWorkflow, _worker
from tests.support import submissions as s
from tests.support.proxy import TcpProxy

pytestmark = pytest.mark.faults

UPLOADS = 24
CONCURRENT = 4


async def _chaos(database: TcpProxy, temporal: TcpProxy, stop: asyncio.Event, log: list[str]):
    """Drop every connection through one proxy or the other every 50 to 400 ms."""
    rng = random.Random(16)
    while not stop.is_set():
        await asyncio.sleep(rng.uniform(0.05, 0.4))
        if rng.random() < 0.7:
            log.append(f"database:{await database.drop_all()}")
        else:
            log.append(f"temporal:{await temporal.drop_all()}")


async def test_drops_at_random_points_lose_nothing_and_answer_no_internal(
    tmp_path, database_url, database_proxy, restartable_dev_server, caplog
):
    caplog.set_level(logging.WARNING)
    host, port = restartable_dev_server.address.rsplit(":", 1)
    temporal_proxy = await TcpProxy.start(host, int(port))
    settings = make_settings(
        tmp_path / "home",
        through(database_url, database_proxy),
        TEMPORAL_ADDRESS=temporal_proxy.address,
        TEMPORAL_NAMESPACE=restartable_dev_server.namespace,
        ONEASSESS_READINESS_SECONDS="0.2",
    )
    stack = await start_stack(settings, ("indicators", "submissions"))
    direct = await asyncpg.connect(database_url)  # the test's own view, around the proxy
    stop = asyncio.Event()
    chaos: asyncio.Task | None = None
    try:
        await s.fold_example(stack.admin)
        await s.open_window(stack.admin)
        unit = stack.as_(Role.UNIT, unit=s.UNIT)
        readiness = stack.running["submissions"].runtime.readiness
        relay = next(sup for sup in readiness.supervisors if sup.name == "relay")

        # The worker reaches Temporal through the proxy too.
        client = await Client.connect(temporal_proxy.address, namespace="oneassess")
        task_queue = f"tq-{uuid.uuid4()}"
        async with await _worker(client, task_queue):
            unit_wf = await client.start_workflow(
                RecordingWorkflow.run, id=unit_workflow_id(s.CYCLE, s.UNIT), task_queue=task_queue
            )
            cycle_wf = await client.start_workflow(
                RecordingWorkflow.run, id=cycle_workflow_id(s.CYCLE), task_queue=task_queue
            )

            # Idle: the relay listens and the pool holds connections; drop them all.
            await wait_for(lambda: _listening(readiness), "the relay listens", within=30)
            assert await database_proxy.drop_all() >= 2  # the LISTEN connection and the pool
            await wait_for(lambda: _listening(readiness), "the relay listens again", within=30)

            waits: list[grpc.StatusCode] = []
            policy = retry.RetryPolicy(total_seconds=90, initial_seconds=0.1, max_wait_seconds=1)
            limit = asyncio.Semaphore(CONCURRENT)

            async def one(i: int) -> pb.UploadResponse:
                data = s.pdf(seed=f"fault-{i}")
                async with limit:
                    return await uploads.upload(
                        unit.submissions,
                        s.header(data),
                        data,
                        policy=policy,
                        on_retry=lambda waiting: waits.append(waiting.error.code()),
                    )

            drops: list[str] = []
            chaos = asyncio.create_task(_chaos(database_proxy, temporal_proxy, stop, drops))
            extension_request = pb.RequestExtensionRequest(
                request_id="fault-extension", cycle_code=s.CYCLE, unit_code=s.UNIT, days=5,
                reason="typhoon",
            )  # fmt: skip
            results = await asyncio.gather(
                *(one(i) for i in range(UPLOADS)),
                retry.call(
                    lambda: unit.submissions.RequestExtension(extension_request),
                    policy=policy,
                    on_wait=lambda waiting: waits.append(waiting.error.code()),
                ),
            )
            stop.set()
            await chaos
            responses, extension = results[:-1], results[-1]

            # Chaos really happened, while calls were in flight.
            assert sum(int(d.split(":")[1]) for d in drops) > 20, drops
            assert waits, "no call was ever interrupted: the test dropped nothing that mattered"
            assert set(waits) <= {grpc.StatusCode.UNAVAILABLE}, Counter(waits)

            # Every upload stored exactly once.
            ids = [r.submission.id for r in responses]
            assert len(set(ids)) == UPLOADS
            stored = await direct.fetch("SELECT id::text, sha256 FROM submissions.submissions")
            assert sorted(r["id"] for r in stored) == sorted(ids)
            assert len({r["sha256"] for r in stored}) == UPLOADS

            # Every event reaches its workflow, exactly once.
            await wait_for(
                lambda: _undelivered(direct, 0), "the outbox drains after the chaos", within=90
            )
            received = await unit_wf.query(RecordingWorkflow.ids)
            assert Counter(received) == Counter(ids)
            assert await cycle_wf.query(RecordingWorkflow.ids) == [extension.extension_id]

            # The relay is alive and listening on a fresh connection: a new upload arrives
            # promptly, woken by NOTIFY rather than found by polling.
            # The last drop may still be on its way to the relay: wait for its one LISTEN.
            assert relay.problem is None
            await wait_for(
                lambda: _listen_connections(direct, 1), "the relay listens on one connection",
                within=30,
            )  # fmt: skip
            data = s.pdf(seed="after")
            later = await uploads.upload(unit.submissions, s.header(data), data, policy=policy)
            await wait_for(
                lambda: _received(unit_wf, later.submission.id),
                "an upload after the chaos reaches its workflow",
                within=10,
            )
            async with channel(stack.address("submissions"), None) as ch:
                health = await check(ch)
            assert health.serving, health
            await unit_wf.terminate()
            await cycle_wf.terminate()

        # Outages were answered UNAVAILABLE with one line each, never a traceback.
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [
            r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR
        ]
        assert not [r for r in caplog.records if r.exc_info]
    finally:
        stop.set()
        if chaos is not None:
            await asyncio.gather(chaos, return_exceptions=True)
        await direct.close()
        await stop_stack(stack)
        await temporal_proxy.close()


async def _listening(readiness) -> bool:
    return bool((readiness.details.get("outbox") or {}).get("listening"))


async def _listen_connections(conn: asyncpg.Connection, expected: int) -> bool:
    return (
        await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND query ILIKE 'LISTEN%'"
        )
        == expected
    )


async def _undelivered(conn: asyncpg.Connection, expected: int) -> bool:
    return (
        await conn.fetchval("SELECT count(*) FROM submissions.outbox WHERE delivered_at IS NULL")
        == expected
    )


async def _received(handle, submission_id: str) -> bool:
    return submission_id in await handle.query(RecordingWorkflow.ids)


def test_the_proxy_url_keeps_credentials_and_database():
    class P:
        port = 4242

    url = through("postgresql://postgres:pw@127.0.0.1:5432/t_1", P())
    assert urlparse(url).netloc == "postgres:pw@127.0.0.1:4242" and url.endswith("/t_1")
