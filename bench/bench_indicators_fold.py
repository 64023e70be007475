"""Benchmark: the fold of a city-sized catalogue, its import over gRPC, and ListAsks latency.

A seeded city (bench/citygen.py: 30 special assessments, 600 indicators, 2,000 units) is
folded in process (target < 1 s), then imported into the indicators service on embedded
PostgreSQL over gRPC, folded, and ListAsks is called for random units, next to a bare
grpc.aio unary call (health Check on a server with no interceptors) measured in the same run
on the same event loop, the two taking turns (target: ListAsks at >= 50% of its rate). Both
are sequential calls; ListAsks goes through ServiceClients (bearer token, auth interceptor)
as the CLI and the workers call it, and returns a unit's whole list (~140 asks, ~23 KB).

    .venv/bin/python bench/bench_indicators_fold.py [--seed 2026] [--calls 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from bench.citygen import generate_city
from localstack.ports import free_port
from localstack.postgres import EmbeddedPostgres
from oneassess.client.channels import CHANNEL_OPTIONS, ServiceClients
from oneassess.config import Settings
from oneassess.indicators.v1 import indicators_service_pb2 as pb
from services.common import server
from services.common.auth import Role
from services.indicators.fold import fold
from services.indicators.formats import read_special_assessment, read_units
from services.indicators.plan import parse_plan
from services.indicators.service import SPEC
from tests.conftest import issuer_environment, token_for


def row(what: str, figure: str, target: str = "", ok: bool | None = None) -> None:
    verdict = "" if ok is None else ("ok" if ok else "MISSED")
    print(f"  {what:<34} {figure:<44} {target:<18} {verdict}")


def pure_fold(city) -> None:
    started = time.perf_counter()
    docs = [read_special_assessment(p.name, p.read_bytes()) for p in city.special_assessments]
    units = read_units(city.units.name, city.units.read_bytes())
    plan = parse_plan(
        city.plan.read_bytes(), city.plan.name, city.tolerance.read_bytes(), city.tolerance.name
    )
    parsed = time.perf_counter() - started
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        result = fold(plan, docs, units)
        timings.append(time.perf_counter() - started)
    keys = len(set(result.canonical.values()))
    asks = ", ".join(
        f"{k} {b.asks_before}->{b.asks_after}" for k, b in sorted(result.burden.items())
    )
    print(
        f"city: {len(docs)} special assessments, {sum(len(d.indicators) for d in docs)} "
        "indicators, "
        f"{len(units)} units, {keys} canonical keys; asks per unit {asks}"
    )
    row("read + validate 32 files", f"{parsed * 1000:.0f} ms")
    best = statistics.median(timings)
    row("pure fold (median of 5)", f"{best * 1000:.1f} ms", "target < 1000 ms", best < 1.0)


async def interleaved(
    calls: dict, n: int, rounds: int = 10
) -> dict[str, tuple[float, float, float]]:
    """Per call: p50 and p99 in microseconds and sequential calls per second. The calls take turns
    in rounds, so a load change on a shared machine hits each of them alike."""
    for call in calls.values():  # warm up channels and caches
        for _ in range(100):
            await call()
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            for _ in range(n // rounds):
                started = time.perf_counter()
                await call()
                samples[name].append(time.perf_counter() - started)
    figures = {}
    for name, values in samples.items():
        values.sort()
        figures[name] = (
            values[len(values) // 2] * 1e6,
            values[int(len(values) * 0.99)] * 1e6,
            len(values) / sum(values),
        )
    return figures


async def over_grpc(city, calls: int, seed: int, work: Path) -> None:
    postgres = EmbeddedPostgres(work / "pg", port=free_port()).ensure_running()
    settings = Settings(
        ONEASSESS_HOME=str(work / "home"),
        DATABASE_URL=postgres.url,
        **issuer_environment(),
        INDICATORS_PORT=str(free_port()),
        ONEASSESS_SHUTDOWN_GRACE="1",
    )
    running = await server.start(SPEC, settings)
    address = f"127.0.0.1:{running.port}"
    admin = ServiceClients({"indicators": address}, token_for(Role.ADMIN))
    reader = ServiceClients({"indicators": address}, token_for(Role.SERVICE, subject="bench"))
    bare = grpc.aio.server(options=CHANNEL_OPTIONS)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, bare)
    bare_port = bare.add_insecure_port("127.0.0.1:0")
    await bare.start()
    bare_channel = grpc.aio.insecure_channel(f"127.0.0.1:{bare_port}", options=CHANNEL_OPTIONS)
    try:
        indicators = admin.indicators
        started = time.perf_counter()
        for path in city.special_assessments:
            await indicators.ImportSpecialAssessment(
                pb.ImportSpecialAssessmentRequest(
                    file=pb.SourceFile(name=path.name, content=path.read_bytes())
                )
            )
        elapsed = time.perf_counter() - started
        n = len(city.special_assessments)
        row(
            f"import {n} files over gRPC",
            f"{elapsed * 1000:.0f} ms ({elapsed * 1000 / n:.1f} ms a file)",
        )
        started = time.perf_counter()
        await indicators.ImportUnits(
            pb.ImportUnitsRequest(
                file=pb.SourceFile(name="units.yaml", content=city.units.read_bytes())
            )
        )
        row(
            f"import {len(city.unit_codes)} units over gRPC",
            f"{(time.perf_counter() - started) * 1000:.0f} ms",
        )
        cycle = await indicators.CreateCycle(
            pb.CreateCycleRequest(
                plan=pb.SourceFile(name="cycle.yaml", content=city.plan.read_bytes()),
                tolerance=pb.SourceFile(name="tolerance.yaml", content=city.tolerance.read_bytes()),
            )
        )
        started = time.perf_counter()
        await indicators.FoldCycle(pb.FoldCycleRequest(cycle_code=cycle.cycle.code))
        row(
            "FoldCycle over gRPC (fold + freeze)",
            f"{(time.perf_counter() - started) * 1000:.0f} ms",
        )

        rng = random.Random(seed)
        stub = reader.indicators

        async def list_asks():
            unit = rng.choice(city.unit_codes)
            return await stub.ListAsks(
                pb.ListAsksRequest(cycle_code=city.code, unit_code=unit, page_size=1000)
            )

        sample = await list_asks()
        check = health_pb2_grpc.HealthStub(bare_channel).Check
        request = health_pb2.HealthCheckRequest()
        figures = await interleaved({"bare": lambda: check(request), "asks": list_asks}, calls)
        bare_p50, bare_p99, bare_rate = figures["bare"]
        asks_p50, asks_p99, asks_rate = figures["asks"]
        row(
            "bare grpc.aio unary (baseline)",
            f"p50 {bare_p50:.0f} us  p99 {bare_p99:.0f} us  {bare_rate:.0f}/s",
        )
        share = asks_rate / bare_rate
        row(
            f"ListAsks ({sample.total_size} asks, full page)",
            f"p50 {asks_p50:.0f} us  p99 {asks_p99:.0f} us  {asks_rate:.0f}/s",
            f"{share:.0%} of bare (>= 50%)",
            share >= 0.5,
        )
    finally:
        await bare_channel.close()
        await bare.stop(0)
        await admin.close()
        await reader.close()
        await running.stop(0.5)
        postgres.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-indicators-") as tmp:
        work = Path(tmp)
        city = generate_city(work / "city", seed=args.seed)
        print(f"bench_indicators_fold (seed {args.seed})")
        pure_fold(city)
        asyncio.run(over_grpc(city, args.calls, args.seed, work))


if __name__ == "__main__":
    main()
