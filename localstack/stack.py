"""`oneassess up / status / down`: the whole local stack in the background, nothing installed
by hand. Every process gets a pid file and a log under the data directory; `down` stops
exactly those processes.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import httpx
import psutil
from grpc_health.v1 import health_pb2, health_pb2_grpc

from localstack.clients import local_clients
from localstack.ports import port_in_use
from localstack.postgres import EmbeddedPostgres
from localstack.temporal import dev_server_command, set_retention
from oneassess.client.channels import channel
from oneassess.config import Settings

SERVICES = ("indicators", "submissions", "scoring")
START_TIMEOUT_SECONDS = 90


class StackError(RuntimeError):
    """One clear line: what failed and where its log is."""


@dataclass(frozen=True)
class Process:
    name: str
    command: list[str]
    port: int | None  # the port it must own, checked before start
    env: dict[str, str] = field(default_factory=dict)  # this process's own additions


@dataclass
class Paths:
    home: Path

    @property
    def run(self) -> Path:
        return self.home / "run"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    def pid(self, name: str) -> Path:
        return self.run / f"{name}.pid"

    def log(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    @property
    def worker_ready(self) -> Path:
        return self.run / "worker.ready"


def _env(settings: Settings, database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "ONEASSESS_HOME": str(settings.home),
            "DATABASE_URL": database_url,
            "TEMPORAL_ADDRESS": settings.temporal_address,
            "TEMPORAL_NAMESPACE": settings.temporal_namespace,
            "INDICATORS_PORT": str(settings.indicators_port),
            "SUBMISSIONS_PORT": str(settings.submissions_port),
            "SCORING_PORT": str(settings.scoring_port),
            "TEMPORAL_TASK_QUEUE": settings.temporal_task_queue,
            "ISSUER_PORT": str(settings.issuer_port),
            "ONEASSESS_ISSUER_URL": settings.issuer,
            "ONEASSESS_AUDIENCE": settings.audience,
            "PORTAL_PORT": str(settings.portal_port),
            "PYTHONUNBUFFERED": "1",
        }
    )
    if _local_issuer(settings):
        # Each process gets its own client secret from `up`, never another's (or the shell's).
        env.pop("ONEASSESS_CLIENT_ID", None)
        env.pop("ONEASSESS_CLIENT_SECRET", None)
    return env


def _local_issuer(settings: Settings) -> bool:
    """`oneassess up` runs the issuer unless ONEASSESS_ISSUER_URL names another provider."""
    return not settings.issuer_url or settings.issuer_url.rstrip("/") == (
        f"http://127.0.0.1:{settings.issuer_port}"
    )


def _temporal_port(settings: Settings) -> int:
    return int(settings.temporal_address.rsplit(":", 1)[1])


def processes(settings: Settings) -> list[Process]:
    procs: list[Process] = []
    if _local_issuer(settings):  # first: every other process trusts its keys
        procs.append(
            Process("issuer", [sys.executable, "-m", "services.issuer"], settings.issuer_port)
        )
    if not settings.external_temporal:
        procs.append(
            Process(
                "temporal",
                dev_server_command(
                    db_file=settings.home / "temporal.sqlite",
                    port=_temporal_port(settings),
                    ui_port=settings.temporal_ui_port,
                    namespace=settings.temporal_namespace,
                ),
                _temporal_port(settings),
            )
        )
    for name in SERVICES:
        procs.append(
            Process(name, [sys.executable, "-m", f"services.{name}"], settings.port_of(name))
        )
    procs.append(Process("worker", [sys.executable, "-m", "workflows.worker"], None))
    procs.append(Process("portal", [sys.executable, "-m", "services.portal"], settings.portal_port))
    return procs


def _alive(pid_file: Path) -> int | None:
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return None
    except psutil.NoSuchProcess:
        return None
    return pid


def _spawn(paths: Paths, proc: Process, env: dict[str, str]) -> subprocess.Popen:
    paths.logs.mkdir(parents=True, exist_ok=True)
    paths.run.mkdir(parents=True, exist_ok=True)
    log = open(paths.log(proc.name), "ab")
    log.write(
        f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} starting {' '.join(proc.command)}\n".encode()
    )
    log.flush()
    try:
        child = subprocess.Popen(
            proc.command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=str(Path(__file__).resolve().parents[2]),
            start_new_session=True,  # its own process group: `down` stops it and its children
        )
    except FileNotFoundError as err:
        raise StackError(f"{proc.name}: cannot start {proc.command[0]!r}: {err.strerror}") from err
    finally:
        log.close()
    paths.pid(proc.name).write_text(str(child.pid))
    return child


async def _serving(settings: Settings, port: int) -> bool:
    try:
        async with channel(f"127.0.0.1:{port}", None, tls_root=settings.tls_root()) as ch:
            reply = await health_pb2_grpc.HealthStub(ch).Check(
                health_pb2.HealthCheckRequest(), timeout=2
            )
            return reply.status == health_pb2.HealthCheckResponse.SERVING
    except grpc.RpcError:
        return False


async def _http_ready(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2.0) as client:
            return (await client.get(url)).status_code == 200
    except httpx.HTTPError:
        return False


async def _issuer_ready(settings: Settings) -> bool:
    return await _http_ready(settings.discovery_url)


async def _temporal_ready(settings: Settings) -> bool:
    from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
    from temporalio.client import Client

    try:
        client = await Client.connect(
            settings.temporal_address, namespace=settings.temporal_namespace
        )
        await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=settings.temporal_namespace)
        )
        return True
    except Exception:  # not up yet: connection refused, namespace not registered yet, ...
        return False


async def _wait_ready(
    paths: Paths, settings: Settings, proc: Process, child: subprocess.Popen
) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise StackError(
                f"{proc.name} exited with code {child.returncode} during start-up; log: "
                f"{paths.log(proc.name)}"
            )
        if proc.name == "temporal":
            ready = await _temporal_ready(settings)
        elif proc.name == "issuer":
            ready = await _issuer_ready(settings)
        elif proc.name == "worker":
            ready = paths.worker_ready.exists()
        elif proc.name == "portal":
            ready = await _http_ready(f"http://127.0.0.1:{proc.port}/healthz")
        else:
            ready = await _serving(settings, proc.port)
        if ready:
            return
        await asyncio.sleep(0.3)
    raise StackError(
        f"{proc.name} did not become ready within {START_TIMEOUT_SECONDS}s; log: "
        f"{paths.log(proc.name)}"
    )


def endpoints(settings: Settings) -> dict[str, str]:
    out = {name: f"127.0.0.1:{settings.port_of(name)}" for name in SERVICES}
    out["temporal"] = settings.temporal_address
    out["issuer"] = settings.issuer
    out["portal"] = f"http://127.0.0.1:{settings.portal_port}/"
    if not settings.external_temporal:
        out["web_ui"] = (
            f"http://127.0.0.1:{settings.temporal_ui_port}"
            f"/namespaces/{settings.temporal_namespace}/workflows"
        )
    return out


async def up(settings: Settings, *, progress=print) -> dict[str, str]:
    paths = Paths(settings.home)
    running = [p.name for p in processes(settings) if _alive(paths.pid(p.name))]
    if running:
        raise StackError(
            f"already running: {', '.join(running)} (oneassess status; oneassess down)"
        )
    procs = processes(settings)
    for proc in procs:
        if proc.port is not None and port_in_use(proc.port):
            raise StackError(
                f"{proc.name}: port {proc.port} is already in use; free it or set "
                f"{'TEMPORAL_ADDRESS' if proc.name == 'temporal' else proc.name.upper() + '_PORT'}"
            )

    if settings.database_url:
        database_url = settings.database_url
        progress("postgres    using DATABASE_URL")
    else:
        pg = EmbeddedPostgres(settings.home / "postgres")
        try:
            pg.ensure_running()
        except (RuntimeError, OSError) as err:
            raise StackError(f"postgres: {str(err).splitlines()[0]}") from err
        database_url = pg.url
        progress(f"postgres    {database_url}")

    env = _env(settings, database_url)
    secrets = {}
    if _local_issuer(settings):
        # Fresh client secrets at every start: the issuer keeps their hashes, each process
        # gets its own secret in its environment.
        secrets = local_clients(
            settings.issuer_clients_path,
            [*settings.portal_redirect_uris.split(","), settings.portal_callback_url],
        )
    paths.worker_ready.unlink(missing_ok=True)
    try:
        for proc in procs:
            own = dict(proc.env)
            if proc.name in secrets:
                own |= {
                    "ONEASSESS_CLIENT_ID": proc.name,
                    "ONEASSESS_CLIENT_SECRET": secrets[proc.name],
                }
            child = _spawn(paths, proc, {**env, **own})
            await _wait_ready(paths, settings, proc, child)
            if proc.name == "temporal":
                set_retention(
                    settings.temporal_address,
                    settings.temporal_namespace,
                    settings.temporal_retention,
                )
            progress(f"{proc.name:<11} ready (pid {child.pid})")
    except BaseException:
        down(settings, progress=lambda *_: None)
        raise
    return endpoints(settings)


def _stop_pid(pid: int, timeout: float = 20.0) -> None:
    try:
        pgid = os.getpgid(pid)
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        psutil.Process(pid).wait(timeout)
    except psutil.NoSuchProcess:
        pass
    except psutil.TimeoutExpired:
        os.killpg(pgid, signal.SIGKILL)
    # Anything left in its group (a child the process spawned) goes too.
    for proc in psutil.process_iter(["pid"]):
        try:
            if os.getpgid(proc.pid) == pgid:
                proc.kill()
        except (ProcessLookupError, psutil.NoSuchProcess, PermissionError):
            continue


def down(settings: Settings, *, progress=print) -> list[str]:
    """Stop, in reverse order, exactly what `up` started; returns the names stopped."""
    paths = Paths(settings.home)
    stopped = []
    for proc in reversed(processes(settings)):
        pid_file = paths.pid(proc.name)
        pid = _alive(pid_file)
        if pid is not None:
            _stop_pid(pid)
            stopped.append(proc.name)
            progress(f"{proc.name:<11} stopped (pid {pid})")
        pid_file.unlink(missing_ok=True)
    paths.worker_ready.unlink(missing_ok=True)
    if not settings.database_url:
        pg = EmbeddedPostgres(settings.home / "postgres")
        if pg.running_pid() is not None:
            pg.stop()
            stopped.append("postgres")
            progress("postgres    stopped")
    return stopped


def status(settings: Settings) -> list[dict[str, str]]:
    paths = Paths(settings.home)
    rows = []
    if not settings.database_url:
        pg = EmbeddedPostgres(settings.home / "postgres")
        pid = pg.running_pid()
        rows.append(
            {
                "name": "postgres",
                "state": "running" if pid else "stopped",
                "pid": str(pid or ""),
                "endpoint": pg.url if pid else "",
                "log": str(pg.data_dir / "server.log"),
            }
        )
    ends = endpoints(settings)
    for proc in processes(settings):
        pid = _alive(paths.pid(proc.name))
        rows.append(
            {
                "name": proc.name,
                "state": "running" if pid else "stopped",
                "pid": str(pid or ""),
                "endpoint": ends.get(proc.name, "") if pid else "",
                "log": str(paths.log(proc.name)),
            }
        )
    return rows
