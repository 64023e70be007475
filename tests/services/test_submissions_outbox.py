"""The outbox relay: every accepted submission (and extension request) reaches its workflow as
a signal exactly once, across a Temporal outage, a workflow that starts late, and replicas."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import ClassVar

import pytest
from temporalio import workflow
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from oneassess import metrics
from oneassess.contract import (
    SIGNAL_EVIDENCE_BATCH,
    SIGNAL_EVIDENCE_SUBMITTED,
    SIGNAL_EXTENSION_REQUESTED,
    EvidenceBatch,
    EvidenceSubmitted,
    ExtensionRequested,
    cycle_workflow_id,
    unit_workflow_id,
)
from oneassess.submissions.v1 import submissions_service_pb2 as pb
from services.common import db
from services.common.auth import Role
from services.submissions import repository as repo
from services.submissions.outbox import OutboxRelay, RelayOptions
from tests.conftest import make_settings, start_stack, stop_stack
from tests.support import submissions as s


@workflow.defn(name="RecordingWorkflow")
class RecordingWorkflow:
    """Records every signal it receives, duplicates included."""

    def __init__(self) -> None:
        self.received: list[str] = []

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)

    @workflow.signal(name=SIGNAL_EVIDENCE_SUBMITTED)
    def evidence_submitted(self, event: EvidenceSubmitted) -> None:
        self.received.append(event.submission_id)

    @workflow.signal(name=SIGNAL_EVIDENCE_BATCH)
    def evidence_batch_submitted(self, batch: EvidenceBatch) -> None:
        self.received.extend(event.submission_id for event in batch.submissions)

    @workflow.signal(name=SIGNAL_EXTENSION_REQUESTED)
    def extension_requested(self, event: ExtensionRequested) -> None:
        self.received.append(event.extension_id)

    @workflow.query
    def ids(self) -> list[str]:
        return self.received


async def _worker(client: Client, task_queue: str) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[RecordingWorkflow],
        workflow_runner=UnsandboxedWorkflowRunner(),
    )


def _evidence(submission_id: str, unit: str) -> dict:
    """An evidence_submitted payload as uploads commit it to the outbox."""
    return {
        "submission_id": submission_id,
        "cycle_code": s.CYCLE,
        "unit_code": unit,
        "evidence_key": s.KEY,
        "sha256": "0" * 64,
        "version": 1,
        "submitted_at": "2026-12-01T00:00:00+00:00",
    }


async def _undelivered(pool) -> int:
    return await pool.fetchval("SELECT count(*) FROM outbox WHERE delivered_at IS NULL")


async def _wait_delivered(pool, seconds: float = 60.0) -> None:
    for _ in range(int(seconds / 0.1)):
        if await _undelivered(pool) == 0:
            return
        await asyncio.sleep(0.1)
    rows = await pool.fetch(
        "SELECT id, attempts, last_error FROM outbox WHERE delivered_at IS NULL"
    )
    pytest.fail(f"outbox not drained: {[dict(r) for r in rows]}")


async def test_every_submission_arrives_exactly_once_across_an_outage_and_a_late_workflow(
    tmp_path, database_url, restartable_dev_server
):
    settings = make_settings(
        tmp_path / "home",
        database_url,
        TEMPORAL_ADDRESS=restartable_dev_server.address,
        TEMPORAL_NAMESPACE=restartable_dev_server.namespace,
    )
    stack = await start_stack(settings, ("indicators", "submissions"))
    try:
        await s.fold_example(stack.admin)
        await s.open_window(stack.admin)
        unit = stack.as_(Role.UNIT, unit=s.UNIT)
        pool = stack.pool("submissions")

        restartable_dev_server.stop()  # Temporal goes away; uploads go on
        uploads = [await s.upload(unit, s.pdf(seed=str(i))) for i in range(5)]
        extension = await unit.submissions.RequestExtension(
            pb.RequestExtensionRequest(
                request_id="ext-1", cycle_code=s.CYCLE, unit_code=s.UNIT, days=5, reason="flood"
            )
        )
        await asyncio.sleep(1.5)  # the relay tries and fails meanwhile
        assert await _undelivered(pool) == 6
        assert await pool.fetchval("SELECT max(attempts) FROM outbox") >= 1

        await restartable_dev_server.start()  # back, with its state; the workflows do not exist yet
        await asyncio.sleep(1.0)
        assert await _undelivered(pool) == 6

        client = await Client.connect(
            restartable_dev_server.address, namespace=restartable_dev_server.namespace
        )
        task_queue = f"tq-{uuid.uuid4()}"
        async with await _worker(client, task_queue):
            unit_wf = await client.start_workflow(
                RecordingWorkflow.run, id=unit_workflow_id(s.CYCLE, s.UNIT), task_queue=task_queue
            )
            cycle_wf = await client.start_workflow(
                RecordingWorkflow.run, id=cycle_workflow_id(s.CYCLE), task_queue=task_queue
            )
            await _wait_delivered(pool)
            later = await s.upload(unit, s.pdf(seed="later"))  # while all is well: promptly
            await _wait_delivered(pool, seconds=10)
            received = await unit_wf.query(RecordingWorkflow.ids)
            extensions = await cycle_wf.query(RecordingWorkflow.ids)
            await unit_wf.terminate()
            await cycle_wf.terminate()
        expected = [u.submission.id for u in uploads] + [later.submission.id]
        assert Counter(received) == Counter(expected)  # each exactly once
        assert received[-1] == later.submission.id
        assert extensions == [extension.extension_id]
    finally:
        await stop_stack(stack)


class CountingRelay(OutboxRelay):
    """Counts every signal it sends, to show replicas never send the same row twice."""

    sent: ClassVar[Counter] = Counter()

    async def _signal(self, client, planned):
        for row_id in planned.ids:
            CountingRelay.sent[row_id] += 1
        await asyncio.sleep(0.01)  # keep rows leased a while, so replicas overlap
        return await super()._signal(client, planned)


async def test_replicas_never_send_the_same_row(tmp_path, database_url, restartable_dev_server):
    # The service's own relay points nowhere, so only the three replicas below deliver.
    settings = make_settings(tmp_path / "home", database_url)
    stack = await start_stack(settings, ("indicators", "submissions"))
    relays = []
    try:
        await s.fold_example(stack.admin)
        await s.open_window(stack.admin)
        pool = stack.pool("submissions")
        client = await Client.connect(
            restartable_dev_server.address, namespace=restartable_dev_server.namespace
        )
        task_queue = f"tq-{uuid.uuid4()}"
        units = ["baiquan-town", "ganlan-town", "jintang-town", "cengang-town"]
        async with await _worker(client, task_queue):
            handles = [
                await client.start_workflow(
                    RecordingWorkflow.run, id=unit_workflow_id(s.CYCLE, u), task_queue=task_queue
                )
                for u in units
            ]
            # Rows straight into the outbox (what uploads commit), then three replicas race.
            async with pool.acquire() as conn:
                for i in range(60):
                    u = units[i % len(units)]
                    await repo.enqueue(
                        conn,
                        workflow_id=unit_workflow_id(s.CYCLE, u),
                        signal=SIGNAL_EVIDENCE_SUBMITTED,
                        payload=_evidence(f"sub-{i}", u),
                    )
            CountingRelay.sent.clear()
            relays = [
                asyncio.create_task(
                    CountingRelay(
                        pool,
                        database_url=db.database_url(settings),
                        temporal_address=restartable_dev_server.address,
                        namespace=restartable_dev_server.namespace,
                        options=RelayOptions(batch=7),
                    ).run()
                )
                for _ in range(3)
            ]
            await _wait_delivered(pool)
            received = [i for h in handles for i in await h.query(RecordingWorkflow.ids)]
            for h in handles:
                await h.terminate()
        ids = await pool.fetch("SELECT id FROM outbox")
        assert len(ids) == 60
        assert all(CountingRelay.sent[r["id"]] == 1 for r in ids), CountingRelay.sent
        assert sorted(received) == sorted(f"sub-{i}" for i in range(60))
    finally:
        for task in relays:
            task.cancel()
        await asyncio.gather(*relays, return_exceptions=True)
        await stop_stack(stack)


def _sample(histogram, suffix: str) -> float:
    [metric] = histogram.collect()
    return next(x.value for x in metric.samples if x.name.endswith(suffix))


class DiesBeforeMarking(OutboxRelay):
    """Signals, then dies before it can mark anything delivered (a SIGKILL between the two)."""

    async def _mark(self, conn, marks, claimed) -> None:
        raise ConnectionResetError("the relay's process died")


async def test_a_burst_for_one_unit_is_one_signal_and_a_resend_after_a_crash_is_dropped(
    tmp_path, database_url, restartable_dev_server
):
    settings = make_settings(tmp_path / "home", database_url)
    stack = await start_stack(settings, ("indicators", "submissions"))  # its relay points nowhere
    try:
        pool = stack.pool("submissions")
        client = await Client.connect(
            restartable_dev_server.address, namespace=restartable_dev_server.namespace
        )
        task_queue = f"tq-{uuid.uuid4()}"
        workflow_id = unit_workflow_id(s.CYCLE, "baiquan-town")
        async with await _worker(client, task_queue):
            handle = await client.start_workflow(
                RecordingWorkflow.run, id=workflow_id, task_queue=task_queue
            )
            async with pool.acquire() as conn:
                for i in range(30):
                    await repo.enqueue(
                        conn,
                        workflow_id=workflow_id,
                        signal=SIGNAL_EVIDENCE_SUBMITTED,
                        payload=_evidence(f"sub-{i}", "baiquan-town"),
                    )
            relay_settings = dict(
                database_url=db.database_url(settings),
                temporal_address=restartable_dev_server.address,
                namespace=restartable_dev_server.namespace,
                options=RelayOptions(lease_seconds=0.5),
            )
            rows_before = _sample(metrics.OUTBOX_SIGNAL_ROWS, "_sum")
            with pytest.raises(ConnectionResetError):
                await DiesBeforeMarking(pool, **relay_settings).deliver_once(client)
            assert await _undelivered(pool) == 30  # the signal landed; nothing says so yet
            # Once the lease ends, another relay sends the same batch with the same request id.
            relay = OutboxRelay(pool, **relay_settings)
            for _ in range(600):
                sent, _ = await relay.deliver_once(client)
                if sent:
                    break
                await asyncio.sleep(0.05)
            assert sent == 30 and await _undelivered(pool) == 0
            signals = [
                event.workflow_execution_signaled_event_attributes.signal_name
                async for event in handle.fetch_history_events()
                if event.HasField("workflow_execution_signaled_event_attributes")
            ]
            received = await handle.query(RecordingWorkflow.ids)
            await handle.terminate()
        assert signals == [SIGNAL_EVIDENCE_BATCH]  # one signal for 30 rows; the copy dropped
        assert _sample(metrics.OUTBOX_SIGNAL_ROWS, "_sum") - rows_before == 60  # sent twice
        assert received == [f"sub-{i}" for i in range(30)]  # each once, in commit order
    finally:
        await stop_stack(stack)


class RefusesPoison(OutboxRelay):
    """As if Temporal refused for good any signal carrying the submission 'poison'."""

    async def _signal(self, client, planned):
        if any(row.payload["submission_id"] == "poison" for row in planned.rows):
            return "INVALID_ARGUMENT: refused"
        return await super()._signal(client, planned)


async def test_a_batch_refused_for_good_makes_only_its_bad_row_a_dead_letter(
    tmp_path, database_url, restartable_dev_server
):
    settings = make_settings(tmp_path / "home", database_url)
    stack = await start_stack(settings, ("indicators", "submissions"))  # its relay points nowhere
    try:
        pool = stack.pool("submissions")
        client = await Client.connect(
            restartable_dev_server.address, namespace=restartable_dev_server.namespace
        )
        task_queue = f"tq-{uuid.uuid4()}"
        workflow_id = unit_workflow_id(s.CYCLE, "baiquan-town")
        ids = ["a", "b", "poison", "c", "d"]
        async with await _worker(client, task_queue):
            handle = await client.start_workflow(
                RecordingWorkflow.run, id=workflow_id, task_queue=task_queue
            )
            async with pool.acquire() as conn:
                for submission_id in ids:
                    await repo.enqueue(
                        conn,
                        workflow_id=workflow_id,
                        signal=SIGNAL_EVIDENCE_SUBMITTED,
                        payload=_evidence(submission_id, "baiquan-town"),
                    )
            relay = RefusesPoison(
                pool,
                database_url=db.database_url(settings),
                temporal_address=restartable_dev_server.address,
                namespace=restartable_dev_server.namespace,
            )
            first, _ = await relay.deliver_once(client)  # the batch of five, refused
            second, _ = await relay.deliver_once(client)  # each alone
            received = await handle.query(RecordingWorkflow.ids)
            await handle.terminate()
        assert (first, second) == (5, 5)
        assert sorted(received) == ["a", "b", "c", "d"]  # each once; sent alone, in any order
        rows = await pool.fetch(
            "SELECT payload->>'submission_id' AS id, dead_at IS NOT NULL AS dead,"
            " delivered_at IS NOT NULL AS delivered FROM outbox ORDER BY outbox.id"
        )
        assert [(r["id"], r["dead"], r["delivered"]) for r in rows] == [
            (i, i == "poison", i != "poison") for i in ids
        ]
    finally:
        await stop_stack(stack)
