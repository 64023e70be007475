"""The portal under 50 concurrent signed-in people, and an upload through it.

1. Browsing: 50 people at once (25 unit contacts, 25 office staff), each signed in with their
   own session, each loading its pages in turn (units: the ask list and an ask; office: the
   dashboard). p50/p95 page time and error rate, next to a bare ASGI "hello" page on the same
   uvicorn, loaded the same way in the same run.
2. Uploading: the same file through the portal (a browser's raw-body upload, streamed on to
   the submissions service) and straight to the gRPC service with the client package; the
   portal's throughput as a share of the direct one (target >= 50%), and the portal
   process's peak RSS after each file size (flat: it never holds a whole file).

Services: the indicators service in-process, the submissions service and the portal as
processes of their own (tests/support/submissions.local_stack), embedded PostgreSQL.

    .venv/bin/python bench/bench_portal.py [--users 50] [--pages 10] [--mb 20 80] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from localstack.ports import free_port
from oneassess.client.channels import ServiceClients
from oneassess.client.uploads import upload as grpc_upload
from oneassess.submissions.v1 import submissions_service_pb2 as pb
from tests.conftest import EXAMPLE, issuer_environment, token_for
from tests.support import submissions as s
from tests.support.portal import csrf_of, register_callback, sign_in

MB = 1024 * 1024
OFFICE = "wang.haiyan"  # 考核办主任
UNIT_CONTACT = "guo.jie"  # 白泉镇联络员, the uploader


def unit_contacts() -> list[str]:
    """Every unit contact of the sample city (examples/haizhou-2026/people.yaml)."""
    people = yaml.safe_load((EXAMPLE / "people.yaml").read_text(encoding="utf-8"))["people"]
    return [p["sub"] for p in people if p["role"] == "unit"]


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            command, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )


async def wait_http(url: str, proc: subprocess.Popen, log: Path) -> None:
    async with httpx.AsyncClient(timeout=2) as client:
        for _ in range(600):
            if proc.poll() is not None:
                raise RuntimeError(f"{url} exited; see {log}")
            try:
                if (await client.get(url)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} not ready; see {log}")


async def signed_in(base: str, subject: str) -> httpx.AsyncClient:
    """A client with a portal session of its own, signed in at the issuer like a browser."""
    client = httpx.AsyncClient(base_url=base, timeout=60)
    await sign_in(client, subject)
    return client


async def browse(clients: list[tuple[httpx.AsyncClient, list[str]]], pages: int):
    """Every client loads `pages` pages in turn, all clients at once: (latencies, errors)."""
    times: list[float] = []
    errors = 0

    async def one(client: httpx.AsyncClient, paths: list[str]) -> None:
        nonlocal errors
        for i in range(pages):
            started = time.perf_counter()
            try:
                reply = await client.get(paths[i % len(paths)])
                if reply.status_code != 200:
                    errors += 1
            except httpx.HTTPError:
                errors += 1
            times.append(time.perf_counter() - started)

    await asyncio.gather(*(one(c, p) for c, p in clients))
    return times, errors


async def through_portal(unit: httpx.AsyncClient, token: str, path: Path, size: int) -> float:
    """Seconds to upload `path` as the browser does (the raw body, streamed)."""

    async def body():
        with path.open("rb") as f:
            while chunk := f.read(256 * 1024):
                yield chunk

    started = time.perf_counter()
    reply = await unit.post(
        "/unit/asks/annual-work-plan/upload",
        content=body(),
        headers={
            "x-csrf-token": token,
            "x-file-name": f"{size}mb.pdf",
            "content-length": str(size * MB),
        },
    )
    assert reply.status_code == 200, reply.text
    return time.perf_counter() - started


async def straight_to_grpc(direct: ServiceClients, path: Path, size: int) -> float:
    """Seconds to upload `path` with the client package, as the CLI does."""
    header = pb.UploadHeader(
        request_id=str(uuid.uuid4()),
        cycle_code=s.CYCLE,
        unit_code="baiquan-town",
        evidence_key="annual-work-plan",
        file_name=f"{size}mb.pdf",
        declared_format="pdf",
        size_bytes=size * MB,
    )
    started = time.perf_counter()
    await grpc_upload(direct.submissions, header, path)
    return time.perf_counter() - started


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 20 else max(values)


def row(name: str, times: list[float], errors: int, wall: float) -> str:
    return (
        f"{name:<28} {len(times):>6} {1000 * statistics.median(times):>9.1f} "
        f"{1000 * p95(times):>9.1f} {100 * errors / len(times):>7.2f}% {len(times) / wall:>8.1f}"
    )


async def run(users: int, pages: int, sizes: list[int], runs: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="bench-portal-"))
    async with s.local_stack(root) as (_settings, indicators, service):
        portal_port, hello_port = free_port(), free_port()
        register_callback(f"http://127.0.0.1:{portal_port}/auth/callback")
        env = {
            **issuer_environment(),
            "ONEASSESS_CLIENT_ID": "portal",
            "ONEASSESS_HOME": str(root / "portal-home"),
            "INDICATORS_ADDRESS": indicators.address("indicators"),
            "SUBMISSIONS_ADDRESS": service.address,
            "SCORING_ADDRESS": f"127.0.0.1:{free_port()}",
            "PORTAL_PORT": str(portal_port),
        }
        portal = start([sys.executable, "-m", "services.portal"], env, root / "portal.log")
        hello = start(
            [sys.executable, str(Path(__file__).with_name("_hello.py")), str(hello_port)],
            {},
            root / "hello.log",
        )
        try:
            base = f"http://127.0.0.1:{portal_port}"
            await wait_http(f"{base}/healthz", portal, root / "portal.log")
            await wait_http(f"http://127.0.0.1:{hello_port}/", hello, root / "hello.log")

            # 1. browsing
            sessions = []
            contacts = unit_contacts()
            for i in range(users):
                if i % 2 == 0:
                    client = await signed_in(base, contacts[(i // 2) % len(contacts)])
                    sessions.append((client, ["/unit", "/unit/asks/annual-work-plan"]))
                else:
                    sessions.append((await signed_in(base, OFFICE), ["/office"]))
            await browse(sessions, 1)  # warm the catalogue cache and the channels
            started = time.perf_counter()
            portal_times, portal_errors = await browse(sessions, pages)
            portal_wall = time.perf_counter() - started
            unit_sessions = [x for x in sessions if x[1][0] == "/unit"]
            office_sessions = [x for x in sessions if x[1][0] == "/office"]
            started = time.perf_counter()
            unit_times, unit_errors = await browse(unit_sessions, 2)
            unit_wall = time.perf_counter() - started
            started = time.perf_counter()
            office_times, office_errors = await browse(office_sessions, 2)
            office_wall = time.perf_counter() - started
            hellos = [
                (httpx.AsyncClient(base_url=f"http://127.0.0.1:{hello_port}", timeout=60), ["/"])
                for _ in range(users)
            ]
            started = time.perf_counter()
            hello_times, hello_errors = await browse(hellos, pages)
            hello_wall = time.perf_counter() - started
            for client, _ in sessions + hellos:
                await client.aclose()
            print(f"\n{users} concurrent signed-in users, {pages} pages each")
            print(f"{'':<28} {'pages':>6} {'p50 ms':>9} {'p95 ms':>9} {'errors':>8} {'pages/s':>8}")
            print(row("portal (unit + office)", portal_times, portal_errors, portal_wall))
            print(row("  unit pages alone (25 users)", unit_times, unit_errors, unit_wall))
            print(row("  office alone (25 users)", office_times, office_errors, office_wall))
            print(row("bare ASGI hello", hello_times, hello_errors, hello_wall))

            # 2. uploading
            direct = ServiceClients(
                {"submissions": service.address, "indicators": indicators.address("indicators")},
                token_for("unit", unit="baiquan-town"),
            )
            print("\nupload of one file: through the portal vs straight to gRPC")
            print(
                f"{'MB':>5} {'portal MB/s':>12} {'gRPC MB/s':>10} {'share':>7}"
                f" {'portal peak RSS':>16}"
            )
            unit = await signed_in(base, UNIT_CONTACT)
            token = csrf_of((await unit.get("/unit")).text)
            rss_before = s.peak_rss_bytes(portal.pid)
            for size in sizes:
                path = root / f"{size}mb.pdf"
                portal_runs, grpc_runs = [], []
                for _run in range(runs):  # alternating, median of each: the machine is shared
                    path.write_bytes(s.pdf(size * MB, seed=uuid.uuid4().hex))  # a new version
                    portal_runs.append(await through_portal(unit, token, path, size))
                    path.write_bytes(s.pdf(size * MB, seed=uuid.uuid4().hex))
                    grpc_runs.append(await straight_to_grpc(direct, path, size))
                portal_secs = statistics.median(portal_runs)
                grpc_secs = statistics.median(grpc_runs)
                print(
                    f"{size:>5} {size / portal_secs:>12.1f} {size / grpc_secs:>10.1f} "
                    f"{100 * grpc_secs / portal_secs:>6.0f}% "
                    f"{s.peak_rss_bytes(portal.pid) / MB:>13.1f} MB"
                )
                path.unlink()
            print(f"portal peak RSS before any upload: {rss_before / MB:.1f} MB")
            await unit.aclose()
            await direct.close()
        finally:
            for proc in (portal, hello):
                proc.terminate()
                proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--mb", type=int, nargs="+", default=[20, 80])
    parser.add_argument("--runs", type=int, default=3, help="uploads of each size each way")
    args = parser.parse_args()
    asyncio.run(run(args.users, args.pages, args.mb, args.runs))


if __name__ == "__main__":
    main()
