"""One trace follows an upload to the workflow it wakes: the outbox row keeps the trace the
submission was committed in, and the relay's signal carries it to the workflow, whose
signal handler span (Temporal's TracingInterceptor) links to the upload's span — Temporal
links a signal to its sender rather than parenting it, as the workflow has a trace of its own."""

from __future__ import annotations

import asyncio
import uuid

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio import workflow
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from oneassess import telemetry
from oneassess.contract import SIGNAL_EVIDENCE_BATCH, SIGNAL_EVIDENCE_SUBMITTED, EvidenceBatch
from services.common import db
from services.submissions import repository as repo
from services.submissions.outbox import OutboxRelay
from services.submissions.service import SPEC


@workflow.defn(name="TracedUnitWorkflow")
class TracedUnitWorkflow:
    def __init__(self) -> None:
        self.received: list[str] = []

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: bool(self.received))

    @workflow.signal(name=SIGNAL_EVIDENCE_BATCH)
    def evidence_batch_submitted(self, batch: EvidenceBatch) -> None:
        self.received.extend(event.submission_id for event in batch.submissions)


async def test_the_signal_handler_links_to_the_upload(database_url, dev_server, monkeypatch):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    monkeypatch.setattr(telemetry, "_enabled", True)
    monkeypatch.setattr("opentelemetry.trace.get_tracer_provider", lambda: provider)

    await db.migrate(
        database_url, "submissions", db.load_migrations("submissions", SPEC.migrations)
    )
    pool = await db.create_pool(database_url, "submissions")
    workflow_id = f"traced/{uuid.uuid4()}"
    with tracer.start_as_current_span("Upload") as upload:
        carrier = telemetry.current_trace_carrier()
        async with pool.acquire() as conn:
            await repo.enqueue(
                conn,
                workflow_id=workflow_id,
                signal=SIGNAL_EVIDENCE_SUBMITTED,
                payload={
                    "submission_id": "s-1",
                    "cycle_code": "c",
                    "unit_code": "u",
                    "evidence_key": "k",
                    "sha256": "0" * 64,
                    "version": 1,
                    "submitted_at": "2026-11-26T00:00:00+00:00",
                },
                trace_context=carrier,
            )
    assert carrier["traceparent"].split("-")[1] == format(
        upload.get_span_context().trace_id, "032x"
    )

    client = dev_server.client
    traced = await Client.connect(
        client.service_client.config.target_host,
        namespace=client.namespace,
        interceptors=[TracingInterceptor(tracer)],
    )
    task_queue = f"trace-{uuid.uuid4()}"
    async with Worker(
        traced,
        task_queue=task_queue,
        workflows=[TracedUnitWorkflow],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        handle = await traced.start_workflow(
            TracedUnitWorkflow.run, id=workflow_id, task_queue=task_queue
        )
        relay = OutboxRelay(
            pool, database_url=database_url, temporal_address="", namespace=client.namespace
        )
        sent, unreachable = await relay.deliver_once(client)
        assert (sent, unreachable) == (1, False)
        await asyncio.wait_for(handle.result(), 30)
    await pool.close()

    handled = [
        s
        for s in exporter.get_finished_spans()
        if s.name == f"HandleSignal:{SIGNAL_EVIDENCE_BATCH}"
    ]
    assert handled, [s.name for s in exporter.get_finished_spans()]
    linked = [link.context for link in handled[0].links]
    assert [(c.trace_id, c.span_id) for c in linked] == [
        (upload.get_span_context().trace_id, upload.get_span_context().span_id)
    ]
