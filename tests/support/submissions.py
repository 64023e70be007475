"""Helpers for the submissions tests and benchmarks: a folded sample cycle, an open window,
valid files of each format, uploads, and what the service has stored (rows and files)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import os
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from oneassess.client.channels import ServiceClients
from oneassess.config import Settings
from oneassess.indicators.v1 import indicators_service_pb2 as ipb
from oneassess.submissions.v1 import submissions_service_pb2 as pb
from services.common.timestamps import timestamp

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "haizhou-2026"
CYCLE = "haizhou-2026"
UNIT = "baiquan-town"  # a township
OTHER_UNIT = "ganlan-town"
KEY = "annual-work-plan"  # pdf or docx; serves work safety (emergency-bureau) among others
CHUNK = 64 * 1024


def _source(path: Path) -> ipb.SourceFile:
    return ipb.SourceFile(name=path.name, content=path.read_bytes())


async def fold_example(admin: ServiceClients, example: Path = EXAMPLE) -> str:
    """Import the sample city's special assessments and units, create and fold its cycle."""
    for path in sorted((example / "special-assessments").glob("*.yaml")):
        await admin.indicators.ImportSpecialAssessment(
            ipb.ImportSpecialAssessmentRequest(file=_source(path))
        )
    await admin.indicators.ImportUnits(ipb.ImportUnitsRequest(file=_source(example / "units.yaml")))
    created = await admin.indicators.CreateCycle(
        ipb.CreateCycleRequest(
            plan=_source(example / "cycle.yaml"), tolerance=_source(example / "tolerance.yaml")
        )
    )
    await admin.indicators.FoldCycle(ipb.FoldCycleRequest(cycle_code=created.cycle.code))
    return created.cycle.code


async def open_window(
    admin: ServiceClients,
    cycle: str = CYCLE,
    *,
    opens: timedelta = timedelta(days=-1),
    deadline: timedelta = timedelta(days=1),
    closes: timedelta = timedelta(days=2),
) -> pb.CollectionWindow:
    now = datetime.now(UTC)
    window = pb.CollectionWindow(
        cycle_code=cycle,
        opens_at=timestamp(now + opens),
        deadline=timestamp(now + deadline),
        closes_at=timestamp(now + closes),
    )
    response = await admin.submissions.OpenCollection(
        pb.OpenCollectionRequest(request_id=str(uuid.uuid4()), window=window)
    )
    return response.window


# -- valid files of each format -----------------------------------------------------------------


def pdf(size: int = 2048, seed: str = "") -> bytes:
    """A PDF-shaped file of exactly `size` bytes (distinct per seed)."""
    head = f"%PDF-1.7\n% {seed or uuid.uuid4().hex}\n".encode()
    tail = b"\n%%EOF\n"
    filler = size - len(head) - len(tail)
    if filler < 0:
        raise ValueError("size too small for a PDF")
    return head + (b"0" * filler) + tail


def ooxml(kind: str) -> bytes:
    """A minimal Word document ("docx") or Excel workbook ("xlsx")."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml" if kind == "docx" else "xl/workbook.xml", "<doc/>")
    return buffer.getvalue()


def sample(fmt: str) -> bytes:
    return {
        "pdf": pdf(),
        "docx": ooxml("docx"),
        "xlsx": ooxml("xlsx"),
        "jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + b"\x00" * 64 + b"\xff\xd9",
        "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64,
        "mp4": b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 64,
        "json": b'{"catalogue": [1, 2, 3]}',
    }[fmt]


# -- uploads -------------------------------------------------------------------------------------


def header(
    data: bytes,
    *,
    cycle: str = CYCLE,
    unit: str = UNIT,
    key: str = KEY,
    fmt: str = "pdf",
    file_name: str = "plan.pdf",
    request_id: str | None = None,
    with_sha256: bool = True,
    **overrides,
) -> pb.UploadHeader:
    values = {
        "request_id": request_id if request_id is not None else str(uuid.uuid4()),
        "cycle_code": cycle,
        "unit_code": unit,
        "evidence_key": key,
        "file_name": file_name,
        "declared_format": fmt,
        "size_bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest() if with_sha256 else "",
        **overrides,
    }
    return pb.UploadHeader(**values)


async def messages(
    head: pb.UploadHeader, data: bytes, chunk: int = CHUNK
) -> AsyncIterator[pb.UploadRequest]:
    yield pb.UploadRequest(header=head)
    for start in range(0, len(data), chunk):
        yield pb.UploadRequest(chunk=data[start : start + chunk])


async def upload(clients: ServiceClients, data: bytes, **kwargs) -> pb.UploadResponse:
    chunk = kwargs.pop("chunk", CHUNK)
    return await clients.submissions.Upload(messages(header(data, **kwargs), data, chunk))


# -- what is stored -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    submissions: int
    asks: int
    outbox: int
    blobs: tuple[str, ...]  # sha256 of every blob file
    temp_files: tuple[str, ...]  # any file under blobs/tmp but the lock files


async def stored(pool: asyncpg.Pool, blob_root: Path) -> Stored:
    async with pool.acquire() as conn:
        counts = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM submissions) AS s, (SELECT count(*) FROM asks) AS a,"
            " (SELECT count(*) FROM outbox) AS o"
        )
    blobs = tuple(sorted(p.name for p in (blob_root / "sha256").glob("*/*") if p.is_file()))
    temps = tuple(
        sorted(
            str(p) for p in (blob_root / "tmp").rglob("*") if p.is_file() and p.suffix != ".lock"
        )
    )
    return Stored(counts["s"], counts["a"], counts["o"], blobs, temps)


# -- the service as a process of its own (kill tests, memory measurements) -------------------------


class ServiceProcess:
    """`python -m services.submissions` with the given settings, on its own port."""

    def __init__(self, settings, log_path: Path) -> None:
        self.settings = settings
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.settings.submissions_port}"

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        for name, field in Settings.model_fields.items():
            value = getattr(self.settings, name)
            if field.alias and value not in (None, ""):
                env[field.alias] = str(value)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    async def start(self, wait_seconds: float = 60.0) -> None:
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(  # noqa: ASYNC220
                [sys.executable, "-m", "services.submissions"],
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=EXAMPLE.parents[1],
            )
        async with grpc.aio.insecure_channel(self.address) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            for _ in range(int(wait_seconds / 0.1)):
                if self.process.poll() is not None:
                    break
                try:
                    reply = await stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                    if reply.status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.aio.AioRpcError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"submissions service did not start; see {self.log_path}")

    def exit_code(self, timeout: float) -> int:
        """The process's exit code once it exits; past `timeout`, fails with the stacks it
        is stuck on (SIGUSR1 makes the service write them) and the end of its log."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGUSR1)
            time.sleep(1)
            tail = self.log_path.read_text(errors="replace")[-6000:]
            raise AssertionError(f"did not exit within {timeout}s; its log ends:\n{tail}") from None

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, no clean-up."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextlib.asynccontextmanager
async def local_stack(
    root: Path, service_overrides: dict[str, str] | None = None, **overrides: str
):
    """For benchmarks: embedded PostgreSQL, the indicators service in-process with the sample
    cycle folded, and the submissions service as a process of its own (to measure it;
    `service_overrides` are its settings alone, e.g. its metrics port)."""
    from localstack.ports import free_port
    from localstack.postgres import EmbeddedPostgres
    from tests.conftest import make_settings, start_stack, stop_stack, token_for

    postgres = EmbeddedPostgres(root / "pg", port=free_port()).ensure_running()
    settings = make_settings(root / "home", postgres.url, **overrides)
    indicators = await start_stack(settings, ("indicators",))
    service = ServiceProcess(
        make_settings(
            root / "home",
            postgres.url,
            INDICATORS_ADDRESS=indicators.address("indicators"),
            SUBMISSIONS_PORT=str(settings.submissions_port),
            **{**overrides, **(service_overrides or {})},
        ),
        root / "submissions.log",
    )
    try:
        await fold_example(indicators.admin)
        await service.start()
        async with grpc.aio.insecure_channel(service.address) as channel:
            from oneassess.submissions.v1 import submissions_service_pb2_grpc as pb_grpc

            await pb_grpc.SubmissionsServiceStub(channel).OpenCollection(
                pb.OpenCollectionRequest(
                    request_id="bench",
                    window=pb.CollectionWindow(
                        cycle_code=CYCLE,
                        opens_at=timestamp(datetime.now(UTC) - timedelta(days=1)),
                        deadline=timestamp(datetime.now(UTC) + timedelta(days=1)),
                        closes_at=timestamp(datetime.now(UTC) + timedelta(days=2)),
                    ),
                ),
                metadata=(("authorization", f"Bearer {token_for('admin')}"),),
            )
        yield settings, indicators, service
    finally:
        service.stop()
        await stop_stack(indicators)
        postgres.stop()


def peak_rss_bytes(pid: int) -> int:
    """The process's peak resident set size (VmHWM) so far."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc status")
