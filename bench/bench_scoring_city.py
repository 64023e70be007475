"""Benchmark: score a generated city of 2,000 units x 600 indicators.

Reports
  1. the pure computation (services/scoring/rules.compute): indicator scores per second on
     one core and on two (units split by kind into two processes is not how the service
     runs; the two-core figure splits the city in halves, each a full compute of its own),
     target >= 1M indicator scores/s on 2 cores;
  2. persisting every result through the service's repository (run row, indicator, special
     assessment and unit rows, COPY) next to a raw asyncpg COPY of the same rows into
     tables of the same shape, in the same run; target >= 50% of the raw rate.

Run: .venv/bin/python bench/bench_scoring_city.py [--units 2000] [--indicators 600] [--seed 7]
PostgreSQL: TEST_DATABASE_URL / DATABASE_URL, else an embedded server in a temp directory.
The generator is our own (seeded), so the figures do not depend on bench/citygen.py.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.scoring import digests, model, rules
from services.scoring.model import (
    Catalogue,
    CycleRules,
    IndicatorRule,
    Inputs,
    SpecialAssessmentRule,
    Tier,
    UnitRef,
)
from services.scoring.numbers import MICRO

DEADLINE = datetime(2026, 12, 31, 10, 0, tzinfo=UTC)
KINDS = ("township", "department")


def generate_city(
    units: int = 2000, indicators: int = 600, seed: int = 7, special_assessments: int = 30
) -> Inputs:
    """A seeded city shaped like the sample: methods, weights, evidence reuse, lateness, claims."""
    rnd = random.Random(seed)
    keys = [f"key-{k:03d}" for k in range(300)]
    weights = [Decimal(100 // special_assessments)] * special_assessments
    weights[0] += Decimal(100 - sum(weights))
    sas = tuple(
        SpecialAssessmentRule(f"sa-{s:02d}", f"dept-{s:02d}", weights[s])
        for s in range(special_assessments)
    )
    per_sa = indicators // special_assessments
    inds: list[IndicatorRule] = []
    methods = ["ratio"] * 8 + ["grade"] * 5 + ["checklist"] * 5 + ["deduction"] * 4
    for s, sa in enumerate(sas):
        for i in range(per_sa):
            code = f"i-{s:02d}-{i:02d}"
            if i == per_sa - 1 and s % 10 == 0:
                method = "bonus"
            elif i == per_sa - 2 and s % 10 == 0:
                method = "veto"
            else:
                method = rnd.choice(methods)
            points = (
                Decimal(rnd.choice(["1", "2", "2.5", "3", "4", "5"]))
                if method in model.SCORED
                else Decimal(0)
            )
            applies = KINDS if rnd.random() < 0.8 else (rnd.choice(KINDS),)
            evidence = (
                tuple(sorted(rnd.sample(keys, rnd.choice([1, 1, 2, 3]))))
                if method != "veto"
                else ()
            )
            kwargs: dict = {}
            if method == "ratio":
                kwargs["target"] = Decimal(rnd.choice(["0.9", "0.95", "0.98", "1", "0.85"]))
            elif method == "grade":
                kwargs["grades"] = (
                    ("A", Decimal("1")),
                    ("B", Decimal("0.8")),
                    ("C", Decimal("0.6")),
                    ("D", Decimal("0.3")),
                )
            elif method == "checklist":
                kwargs["items"] = rnd.randint(2, 6)
            elif method == "deduction":
                kwargs["deduct_per"] = Decimal(rnd.choice(["0.5", "1", "0.2"]))
            elif method == "bonus":
                kwargs["max"] = Decimal("1")
            inds.append(IndicatorRule(sa.code, code, method, points, evidence, applies, **kwargs))
    unit_refs = tuple(
        UnitRef(f"unit-{u:04d}", KINDS[u % 2], f"{KINDS[u % 2]}-group-{u % 10 // 2}")
        for u in range(units)
    )
    catalogue = Catalogue("city-2026", sas, tuple(inds), unit_refs, sha256="generated")
    cycle_rules = CycleRules(
        Decimal("0.1"),
        (Tier("优秀", Decimal("0.3")), Tier("良好", Decimal("0.8")), Tier("一般", Decimal("1"))),
        "较差",
    )

    ask_times: dict[str, dict[str, datetime]] = {}
    unit_deadlines: dict[str, datetime] = {}
    needed = {
        kind: sorted({k for i in inds if kind in i.applies_to for k in i.evidence})
        for kind in KINDS
    }
    for unit in unit_refs:
        times = {}
        for key in needed[unit.kind]:
            roll = rnd.random()
            if roll < 0.01:
                continue  # never submitted
            if roll < 0.03:
                times[key] = DEADLINE + timedelta(hours=rnd.randint(1, 24 * 6))
            else:
                times[key] = DEADLINE - timedelta(hours=rnd.randint(1, 24 * 40))
        ask_times[unit.code] = times
        if rnd.random() < 0.02:
            unit_deadlines[unit.code] = DEADLINE + timedelta(days=3)

    reviews: dict[tuple[str, str], dict[str, tuple[int, model.Judgement]]] = {}
    claims: dict[tuple[str, str], dict[str, int]] = {}
    review_id = claim_id = 0
    for ind in inds:
        by_unit: dict[str, tuple[int, model.Judgement]] = {}
        for unit in unit_refs:
            if unit.kind not in ind.applies_to or rnd.random() < 0.02:
                continue
            review_id += 1
            by_unit[unit.code] = (review_id, _judgement(ind, rnd))
            if rnd.random() < 0.003:
                claim_id += 1
                claims.setdefault(ind.key, {})[unit.code] = claim_id
        reviews[ind.key] = by_unit
    return Inputs(catalogue, cycle_rules, DEADLINE, unit_deadlines, ask_times, reviews, claims)


def _judgement(ind: IndicatorRule, rnd: random.Random) -> model.Judgement:
    m = ind.method
    if m == "ratio":
        return rnd.randrange(0, 11 * MICRO // 10, 10)
    if m == "grade":
        return rnd.choice("ABCD")
    if m == "checklist":
        return rnd.randint(0, ind.items)
    if m == "deduction":
        return rnd.choice([0, 0, 0, MICRO, 2 * MICRO])
    if m == "bonus":
        return rnd.choice([0, MICRO // 2, MICRO])
    return rnd.random() < 0.01


def split(inputs: Inputs, parts: int) -> list[Inputs]:
    """The city cut into `parts` cities (by unit), each scored on its own core."""
    units = sorted(inputs.catalogue.units, key=lambda u: u.code)
    out = []
    for k in range(parts):
        mine = tuple(units[k::parts])
        out.append(replace(inputs, catalogue=replace(inputs.catalogue, units=mine)))
    return out


_PARTS: list[Inputs] = []


def _load_part(units: int, indicators: int, seed: int, parts: int) -> None:
    """Worker initializer: generate the same city and keep the halves (nothing pickled per call)."""
    _PARTS[:] = split(generate_city(units, indicators, seed), parts)


def _compute_part(k: int) -> int:
    return rules.compute(_PARTS[k]).indicator_scores


def bench_compute(inputs: Inputs, args: argparse.Namespace, repeat: int = 3) -> None:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        results = rules.compute(inputs)
        best = min(best, time.perf_counter() - start)
    count = results.indicator_scores
    start = time.perf_counter()
    digest = results.digest()
    digest_s = time.perf_counter() - start
    start = time.perf_counter()
    digests.inputs_digest(inputs)
    inputs_digest_s = time.perf_counter() - start
    print(
        f"pure computation, 1 core : {count:,} indicator scores in {best:.3f} s ="
        f" {count / best / 1e6:.2f} M/s"
    )
    print(
        f"  results digest {digest_s:.3f} s, inputs digest {inputs_digest_s:.3f} s"
        f" ({digest[:12]}...)"
    )

    with ProcessPoolExecutor(
        2, initializer=_load_part, initargs=(args.units, args.indicators, args.seed, 2)
    ) as pool:
        list(pool.map(_compute_part, [0, 1]))  # warm the workers
        best2 = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            total = sum(pool.map(_compute_part, [0, 1]))
            best2 = min(best2, time.perf_counter() - start)
    print(
        f"pure computation, 2 cores: {total:,} indicator scores in {best2:.3f} s ="
        f" {total / best2 / 1e6:.2f} M/s"
        "  (target >= 1.00 M/s; each process scores half the units)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--indicators", type=int, default=600)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-db", action="store_true")
    args = parser.parse_args()
    start = time.perf_counter()
    inputs = generate_city(args.units, args.indicators, args.seed)
    print(
        f"generated {args.units} units x {args.indicators} indicators in"
        f" {time.perf_counter() - start:.1f} s"
    )
    bench_compute(inputs, args)
    if not args.skip_db:
        with _database() as url:
            asyncio.run(bench_persist(inputs, url))


async def bench_persist(inputs: Inputs, url: str, repeat: int = 2) -> None:
    """The service's repository writing a run next to a raw COPY of the very same rows."""
    from services.common import db
    from services.scoring.repository import runs as runs_repo
    from services.scoring.repository import scores as repo
    from services.scoring.service import SPEC

    results = rules.compute(inputs)
    digest = results.digest()
    await db.migrate(url, "scoring", db.load_migrations("scoring", SPEC.migrations))
    pool = await db.create_pool(url, "scoring", max_size=2)
    try:
        async with pool.acquire() as conn:
            for table in ("indicator_scores", "sa_scores", "unit_scores"):
                await conn.execute(f"CREATE TABLE raw_{table} (LIKE {table} INCLUDING ALL)")
        # The raw rows: exactly what the repository writes, built before the clock starts.
        raw = {
            "raw_indicator_scores": (
                list(repo.indicator_records(1, results)),
                repo.INDICATOR_COLUMNS,
            ),
            "raw_sa_scores": (list(repo.special_assessment_records(1, results)), repo.SA_COLUMNS),
            "raw_unit_scores": (list(repo.unit_records(1, results)), repo.UNIT_COLUMNS),
        }
        rows = sum(len(r) for r, _ in raw.values())
        best_raw = best_mine = float("inf")
        for _ in range(repeat):
            async with pool.acquire() as conn:
                await conn.execute("TRUNCATE raw_indicator_scores, raw_sa_scores, raw_unit_scores")
                start = time.perf_counter()
                async with conn.transaction():
                    for table, (records, columns) in raw.items():
                        await conn.copy_records_to_table(table, records=records, columns=columns)
                best_raw = min(best_raw, time.perf_counter() - start)

                await conn.execute(
                    "TRUNCATE indicator_scores, sa_scores, unit_scores, score_runs CASCADE"
                )
                start = time.perf_counter()
                async with conn.transaction():
                    run = await runs_repo.insert_run(
                        conn,
                        cycle_code=inputs.catalogue.cycle_code,
                        trigger="compute",
                        results=results,
                        inputs_sha256="-",
                        results_sha256=digest,
                        recipe={},
                        computed_by="bench",
                    )
                    await repo.save_results(conn, run_id=run.id, results=results)
                best_mine = min(best_mine, time.perf_counter() - start)
        stored = await pool.fetchval("SELECT count(*) FROM indicator_scores")
        assert stored == results.indicator_scores, (stored, results.indicator_scores)
    finally:
        await pool.close()
    print(
        f"raw asyncpg COPY of the same rows: {rows:,} rows in {best_raw:.3f} s ="
        f" {rows / best_raw:,.0f} rows/s"
    )
    print(
        f"persist through the repository    : {rows:,} rows in {best_mine:.3f} s ="
        f" {rows / best_mine:,.0f} rows/s"
        f" = {best_raw / best_mine:.0%} of raw (target >= 50%)"
    )


@contextlib.contextmanager
def _database():
    """A fresh database: on TEST_DATABASE_URL / DATABASE_URL's server, else an embedded one."""
    import asyncpg

    from localstack.ports import free_port
    from localstack.postgres import EmbeddedPostgres

    base = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    server = None
    with tempfile.TemporaryDirectory() as tmp:
        if not base:
            server = EmbeddedPostgres(Path(tmp) / "pg", port=free_port()).ensure_running()
            base = server.url
        name = f"bench_scoring_{os.getpid()}"

        async def admin(sql: str) -> None:
            conn = await asyncpg.connect(base)
            try:
                await conn.execute(sql)
            finally:
                await conn.close()

        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
        try:
            yield base.rpartition("/")[0] + f"/{name}"
        finally:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            if server is not None:
                server.stop()


if __name__ == "__main__":
    main()
