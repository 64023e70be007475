"""Replicas proven, not assumed: two submissions replicas, two scoring replicas and two workers
(each its own process) against one PostgreSQL, one S3 server (SeaweedFS) and one Temporal dev
server. Many clients upload a burst of evidence while a cycle runs on a compressed calendar;
mid-burst one replica of each kind is SIGKILLed. Then: every upload that got OK is stored once
with its blob, reached its unit workflow exactly once, no reminder point went twice to a unit,
and the cycle completes.

Clients reach each kind through one gRPC target listing both replicas (round robin), as a
Kubernetes Service would spread them; an upload cut by the kill is retried by the client with
the same request id (what the CLI does)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections import Counter
from email import message_from_bytes
from pathlib import Path

import asyncpg
import grpc
import pytest
from aiosmtpd.controller import Controller
from grpc_health.v1 import health_pb2, health_pb2_grpc
from rich.console import Console

from demo import evidence
from demo.actors import Actors
from demo.run import Demo, DemoOptions
from demo.script import NEVER
from localstack.ports import free_port
from oneassess.client import uploads
from oneassess.config import Settings
from oneassess.contract import SIGNAL_EVIDENCE_BATCH, SIGNAL_EVIDENCE_SUBMITTED, unit_workflow_id
from oneassess.submissions.v1 import submissions_service_pb2 as sub
from services.submissions.s3store import S3BlobStore
from tests.conftest import EXAMPLE, issuer_environment
from tests.workflows.harness import eventually
from workflows import control

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[2]
SPAN_SECONDS = 150.0  # the whole year, compressed
CLIENTS = 16


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


class Proc:
    def __init__(self, name: str, module: str, env: dict[str, str], root: Path) -> None:
        self.name, self.module, self.env = name, module, env
        self.log = root / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", self.module],
                env=self.env,
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


async def _serving(proc: Proc, port: int) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)

        async def up() -> bool:
            assert proc.alive(), proc.tail()
            try:
                reply = await stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
            except grpc.aio.AioRpcError:
                return False
            return reply.status == health_pb2.HealthCheckResponse.SERVING

        await eventually(up, what=f"{proc.name} serving", within=120, every=0.2)


def _evidence_ids(event) -> list[str]:
    """Submission ids an event of a unit workflow's history carries (none, one, a batch)."""
    if not event.HasField("workflow_execution_signaled_event_attributes"):
        return []
    attrs = event.workflow_execution_signaled_event_attributes
    if attrs.signal_name == SIGNAL_EVIDENCE_SUBMITTED:
        return [json.loads(attrs.input.payloads[0].data)["submission_id"]]
    if attrs.signal_name == SIGNAL_EVIDENCE_BATCH:
        batch = json.loads(attrs.input.payloads[0].data)["submissions"]
        return [submission["submission_id"] for submission in batch]
    return []


async def _signalled_ids(temporal, workflow_id: str) -> Counter:
    """Submission ids in the evidence signals a unit workflow's history holds."""
    seen: Counter = Counter()
    async for event in temporal.get_workflow_handle(workflow_id).fetch_history_events():
        seen.update(_evidence_ids(event))
    return seen


async def _explain_missing(temporal, database_url: str, code: str, unit: str, missing) -> str:
    """Where the missing signals went: their outbox rows and every run of the workflow."""
    workflow_id = unit_workflow_id(code, unit)
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT id, workflow_id, signal, attempts, last_error, created_at, delivered_at"
            " FROM submissions.outbox WHERE payload->>'submission_id' = ANY($1::text[])",
            sorted(missing),
        )
    finally:
        await conn.close()
    runs = []
    async for run in temporal.list_workflows(f"WorkflowId = '{workflow_id}'"):
        ids = Counter()
        handle = temporal.get_workflow_handle(workflow_id, run_id=run.run_id)
        async for event in handle.fetch_history_events():
            ids.update(_evidence_ids(event))
        runs.append(
            f"run {run.run_id} {run.status} started {run.start_time} closed"
            f" {run.close_time}: {len(ids)} signals, missing here {len(missing - set(ids))}"
        )
    return f"{unit}: {len(missing)} accepted submissions never signalled; outbox rows:\n" + (
        "\n".join(str(dict(r)) for r in rows) + "\nruns:\n" + "\n".join(runs)
    )


async def test_replicas_die_mid_burst_and_nothing_is_lost_or_doubled(
    database_url, s3_store_url, dev_server, tmp_path
):
    temporal = dev_server.client
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    ports = {
        "indicators": [free_port()],
        "submissions": [free_port(), free_port()],
        "scoring": [free_port(), free_port()],
    }

    def target(name: str) -> str:
        return "ipv4:" + ",".join(f"127.0.0.1:{p}" for p in ports[name])

    common = {
        **os.environ,
        "DATABASE_URL": database_url,
        **issuer_environment(),
        "TEMPORAL_ADDRESS": temporal.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": temporal.namespace,
        "TEMPORAL_TASK_QUEUE": f"replicas-{uuid.uuid4().hex[:8]}",
        "ONEASSESS_BLOB_STORE": s3_store_url,
        "ONEASSESS_BLOB_SWEEP_INTERVAL": "0",
        "INDICATORS_ADDRESS": target("indicators"),
        "SUBMISSIONS_ADDRESS": target("submissions"),
        "SCORING_ADDRESS": target("scoring"),
        "ONEASSESS_SHUTDOWN_GRACE": "1",
        "ONEASSESS_NOTIFY_CHANNEL": "email",
        "ONEASSESS_SMTP_HOST": "127.0.0.1",
        "ONEASSESS_SMTP_PORT": str(smtp.port),
        "ONEASSESS_OFFICE_ADDRESS": "office@city.test",
        "ONEASSESS_ASSESSOR_DOMAIN": "dept.test",
        "PYTHONUNBUFFERED": "1",
    }
    procs: dict[str, Proc] = {}
    for name, listen in ports.items():
        for i, port in enumerate(listen):
            key = f"{name}-{i}"
            procs[key] = Proc(
                key,
                f"services.{name}",
                {
                    **common,
                    f"{name.upper()}_PORT": str(port),
                    "ONEASSESS_HOME": str(tmp_path / key),
                },
                tmp_path,
            )
    for i in range(2):
        key = f"worker-{i}"
        procs[key] = Proc(
            key, "workflows.worker", {**common, "ONEASSESS_HOME": str(tmp_path / key)}, tmp_path
        )
    try:
        for proc in procs.values():
            proc.start()
        for name, listen in ports.items():
            for i, port in enumerate(listen):
                await _serving(procs[f"{name}-{i}"], port)
        for i in range(2):
            ready = tmp_path / f"worker-{i}" / "run" / "worker.ready"

            async def polling(ready=ready, proc=procs[f"worker-{i}"]) -> bool:
                assert proc.alive(), proc.tail()
                return ready.exists()

            await eventually(polling, what="the workers polling", within=120)

        # The sample city, folded; a cycle of its own on a compressed calendar.
        settings = Settings(**{k: v for k, v in common.items() if k.isupper()})
        demo = Demo(
            settings,
            DemoOptions(example=EXAMPLE, out=tmp_path / "demo", span_seconds=SPAN_SECONDS),
            Console(file=open(tmp_path / "demo.log", "w")),  # noqa: ASYNC230
        )
        await demo.prepare_catalogue()
        code = demo.cycle_code
        never = {p.unit for p in demo.script.units if p.behaviour == NEVER}
        # A few units submit nothing, so every reminder point has someone to remind.
        never |= set(sorted(demo.asks)[:3])
        await control.start_cycle(temporal, settings, code, span_seconds=SPAN_SECONDS)
        # "collecting" is reported once the window is open in the submissions service.
        await control.wait_for_phase(temporal, code, "collecting", within_seconds=120)

        # The burst: every ask of every other unit, CLIENTS uploads at a time.
        actors = Actors(settings)
        jobs = [(u, a) for u in sorted(demo.asks) if u not in never for a in demo.asks[u]]
        queue: asyncio.Queue = asyncio.Queue()
        for job in jobs:
            queue.put_nowait(job)
        accepted: dict[str, tuple[str, str]] = {}  # submission id -> (unit, sha256)

        async def client() -> None:
            while not queue.empty():
                unit, ask = queue.get_nowait()
                fmt = ask.formats[0] if ask.formats else "pdf"
                data = evidence.sample(fmt, f"{unit} {ask.evidence_key} {uuid.uuid4()}")
                header = sub.UploadHeader(
                    request_id=str(uuid.uuid4()),
                    cycle_code=code,
                    unit_code=unit,
                    evidence_key=ask.evidence_key,
                    file_name=f"{ask.evidence_key}.{fmt}",
                    declared_format=fmt,
                    size_bytes=len(data),
                )
                reply = await uploads.upload(actors.unit(unit).submissions, header, data)
                accepted[reply.submission.id] = (unit, reply.submission.sha256)

        clients = [asyncio.create_task(client()) for _ in range(CLIENTS)]

        async def a_third_done() -> bool:
            return len(accepted) >= len(jobs) // 3

        await eventually(a_third_done, what="a third of the burst accepted", within=120)
        for key in ("submissions-0", "scoring-0", "worker-0"):
            procs[key].kill()  # SIGKILL: no goodbye
        await asyncio.gather(*clients)
        assert len(accepted) == len(jobs)

        # Stored exactly once, each with its blob.
        conn = await asyncpg.connect(database_url)
        try:
            rows = await conn.fetch("SELECT id::text AS id, sha256 FROM submissions.submissions")

            async def outbox_drained() -> bool:
                return not await conn.fetchval(
                    "SELECT count(*) FROM submissions.outbox WHERE delivered_at IS NULL"
                )

            await eventually(outbox_drained, what="every event delivered", within=120)
        finally:
            await conn.close()
        assert Counter(r["id"] for r in rows) == Counter(list(accepted))
        assert {r["id"]: r["sha256"] for r in rows} == {i: sha for i, (_, sha) in accepted.items()}
        async with S3BlobStore(s3_store_url, spool=tmp_path / "spool") as store:
            stored = {sha async for sha, _ in store.blobs()}
        assert stored == {sha for _, sha in accepted.values()}

        # Each reached its unit workflow exactly once. A signal Temporal accepted while the
        # unit's workflow task sat with the killed worker is kept buffered, outside the
        # history, until another worker completes that task (after its timeout): look until
        # every history holds them, then check none holds one twice.
        units = sorted({u for u, _ in accepted.values()})
        mine = {unit: {i for i, (u, _) in accepted.items() if u == unit} for unit in units}

        async def short_unit() -> str | None:
            for unit in units:
                seen = await _signalled_ids(temporal, unit_workflow_id(code, unit))
                if set(seen) != mine[unit]:
                    return unit
            return None

        async def all_in_history() -> bool:
            return await short_unit() is None

        try:
            await eventually(all_in_history, what="every signal in history", within=180, every=1)
        except AssertionError:
            unit = await short_unit()
            if unit is None:
                raise
            seen = await _signalled_ids(temporal, unit_workflow_id(code, unit))
            pytest.fail(
                await _explain_missing(temporal, database_url, code, unit, mine[unit] - set(seen))
            )
        for unit in units:
            seen = await _signalled_ids(temporal, unit_workflow_id(code, unit))
            assert max(seen.values()) == 1, unit

        # The cycle completes on the surviving replicas.
        await control.wait_for_phase(temporal, code, "closed", within_seconds=SPAN_SECONDS + 300)
    finally:
        for proc in procs.values():
            proc.stop()
        smtp.stop()

    # No reminder point went twice to a unit, and the units that never submitted got them.
    ids = Counter(
        "".join(m["X-OneAssess-Notification-Id"].split())
        for m in inbox.messages
        if m["X-OneAssess-Notification-Id"]
    )
    assert ids and [i for i, n in ids.items() if n > 1] == []
    reminded = {i.split("/")[1] for i in ids if "/assessors/" not in i}
    assert never <= reminded
