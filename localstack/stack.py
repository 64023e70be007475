"""`oneassess up / status / down`: the whole local stack in the background, nothing installed
by hand. Every process gets a pid file and a log under the data directory; `down` stops
exactly those processes.

`up` starts whatever is not running (all of it the first time) and a supervisor
(localstack.supervise) that starts a crashed child again with a back-off. `status`
(localstack.status) asks each service's health, so a service that runs but cannot work shows
"unhealthy (why)".
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from localstack.clients import local_clients
from localstack.ports import port_in_use
from localstack.postgres import EmbeddedPostgres
from localstack.temporal import dev_server_command, set_retention
from oneassess.client import health
from oneassess.client.channels import channel
from oneassess.client.tokens import write_private
from oneassess.config import Settings

SERVICES = ("indicators", "submissions", "scoring")
METERED = (*SERVICES, "worker")  # the processes serving /metrics, from metrics_base_port on
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

    @property
    def client_secrets(self) -> Path:
        """Each child's client secret at the local issuer (owner-only), for restarts."""
        return self.run / "client-secrets.json"

    @property
    def supervisor_state(self) -> Path:
        return self.run / "supervisor.json"


SUPERVISOR = "supervisor"


@contextlib.contextmanager
def start_lock(paths: Paths, *, blocking: bool = True):
    """Held while children are started, so `up` and the supervisor never start the same one
    twice; yields whether it was acquired (always, when blocking)."""
    paths.run.mkdir(parents=True, exist_ok=True)
    with open(paths.run / ".start.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


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
    metrics = metrics_ports(settings)
    for name in SERVICES:
        procs.append(
            Process(
                name,
                [sys.executable, "-m", f"services.{name}"],
                settings.port_of(name),
                _metrics_env(metrics, name),
            )
        )
    procs.append(
        Process(
            "worker", [sys.executable, "-m", "workflows.worker"], None,
            _metrics_env(metrics, "worker"),
        )
    )  # fmt: skip
    procs.append(Process("portal", [sys.executable, "-m", "services.portal"], settings.portal_port))
    return procs


def metrics_ports(settings: Settings) -> dict[str, int]:
    """Each metered process's Prometheus port; none when metrics_base_port is 0."""
    base = settings.metrics_base_port
    return {name: base + i for i, name in enumerate(METERED)} if base > 0 else {}


def _metrics_env(ports: dict[str, int], name: str) -> dict[str, str]:
    return {"ONEASSESS_METRICS_PORT": str(ports[name])} if name in ports else {}


def supervisor_process() -> Process:
    return Process(SUPERVISOR, [sys.executable, "-m", "localstack.supervise"], None)


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


def _spawn(paths: Paths, proc: Process, env: dict[str, str], *, note: str = "") -> subprocess.Popen:
    paths.logs.mkdir(parents=True, exist_ok=True)
    paths.run.mkdir(parents=True, exist_ok=True)
    log = open(paths.log(proc.name), "ab")
    why = f" ({note})" if note else ""
    when = time.strftime("%Y-%m-%d %H:%M:%S")
    log.write(f"\n--- {when} starting{why} {' '.join(proc.command)}\n".encode())
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
    async with channel(f"127.0.0.1:{port}", None, tls_root=settings.tls_root()) as ch:
        return (await health.check(ch, within_seconds=2)).serving


async def _http_ready(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2.0) as client:
            return (await client.get(url)).status_code == 200
    except httpx.HTTPError:
        return False


async def _issuer_ready(settings: Settings) -> bool:
    return await _http_ready(settings.discovery_url)


async def temporal_ready(settings: Settings, within_seconds: float = 5.0) -> bool:
    from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
    from temporalio.client import Client

    from oneassess.temporal import tls_config

    try:
        async with asyncio.timeout(within_seconds):
            client = await Client.connect(
                settings.temporal_address,
                namespace=settings.temporal_namespace,
                tls=tls_config(settings),
                api_key=settings.temporal_api_key or None,
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
            ready = await temporal_ready(settings)
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
    metrics = metrics_ports(settings)
    if metrics:
        out["metrics"] = ", ".join(
            f"{name} http://127.0.0.1:{port}/metrics" for name, port in metrics.items()
        )
    if not settings.external_temporal:
        out["web_ui"] = (
            f"http://127.0.0.1:{settings.temporal_ui_port}"
            f"/namespaces/{settings.temporal_namespace}/workflows"
        )
    return out


def redacted(url: str) -> str:
    """A database URL without its password, for output."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at or ":" not in credentials:
        return url
    return f"{scheme}{sep}{credentials.split(':', 1)[0]}:***@{host}"


async def up(settings: Settings, *, progress=print) -> dict[str, str]:
    """Start whatever is not running (everything the first time), then the supervisor; say
    what was started. A child that fails to start stops what this call started."""
    # Everything the stack and its children create under ONEASSESS_HOME (logs, pid files, the
    # Temporal database, blobs, secrets) is the owner's only: 0700 directories, 0600 files.
    os.umask(0o077)
    settings.home.chmod(0o700)
    paths = Paths(settings.home)
    with start_lock(paths):
        started = await _start_missing(settings, paths, progress)
    if _alive(paths.pid(SUPERVISOR)) is None:
        child = _spawn(paths, supervisor_process(), _env(settings, _database_url(settings)))
        started.append(SUPERVISOR)
        progress(f"{SUPERVISOR:<11} started (pid {child.pid}); log: {paths.log(SUPERVISOR)}")
    if started:
        progress(f"started: {', '.join(started)}")
    else:
        progress("everything was already running")
    return endpoints(settings)


def _save_client_secrets(paths: Paths, secrets: dict[str, str]) -> None:
    write_private(paths.client_secrets, json.dumps(secrets))


def child_env(paths: Paths, proc: Process, env: dict[str, str]) -> dict[str, str]:
    """A child's environment: the stack's, the process's own, and its own client secret at
    the local issuer (the supervisor restarts children with the same)."""
    own = {**env, **proc.env}
    try:
        secrets = json.loads(paths.client_secrets.read_text())
    except FileNotFoundError:
        return own
    if proc.name in secrets:
        own |= {"ONEASSESS_CLIENT_ID": proc.name, "ONEASSESS_CLIENT_SECRET": secrets[proc.name]}
    return own


def _database_url(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    return EmbeddedPostgres(settings.home / "postgres").url


async def _start_missing(settings: Settings, paths: Paths, progress) -> list[str]:
    procs = processes(settings)
    running = {p.name for p in procs if _alive(paths.pid(p.name))}
    missing = [p for p in procs if p.name not in running]
    for proc in missing:
        if proc.port is not None and port_in_use(proc.port):
            raise StackError(
                f"{proc.name}: port {proc.port} is already in use; free it or set "
                f"{'TEMPORAL_ADDRESS' if proc.name == 'temporal' else proc.name.upper() + '_PORT'}"
            )
    if running:
        progress(f"already running: {', '.join(p.name for p in procs if p.name in running)}")

    started: list[str] = []
    if settings.database_url:
        database_url = settings.database_url
        progress("postgres    using DATABASE_URL")
    else:
        pg = EmbeddedPostgres(settings.home / "postgres")
        was_running = pg.running_pid() is not None
        try:
            pg.ensure_running()
        except (RuntimeError, OSError) as err:
            raise StackError(f"postgres: {str(err).splitlines()[0]}") from err
        database_url = pg.url
        if not was_running:
            started.append("postgres")
        progress(f"postgres    {redacted(database_url)} (password in {pg.password_file})")

    env = _env(settings, database_url)
    if _local_issuer(settings) and (not running or not paths.client_secrets.exists()):
        # Fresh client secrets when the stack starts from nothing: the issuer keeps their
        # hashes; each process gets its own secret in its environment (kept owner-only, so a
        # child restarted later, by `up` or the supervisor, gets the same).
        _save_client_secrets(
            paths,
            local_clients(
                settings.issuer_clients_path,
                [*settings.portal_redirect_uris.split(","), settings.portal_callback_url],
            ),
        )
    try:
        for proc in missing:
            if proc.name == "worker":
                paths.worker_ready.unlink(missing_ok=True)
            child = _spawn(paths, proc, child_env(paths, proc, env))
            started.append(proc.name)
            await _wait_ready(paths, settings, proc, child)
            if proc.name == "temporal":
                set_retention(
                    settings.temporal_address,
                    settings.temporal_namespace,
                    settings.temporal_retention,
                )
            progress(f"{proc.name:<11} ready (pid {child.pid})")
    except BaseException:
        if not running:
            down(settings, progress=lambda *_: None)
        else:  # stop only what this call started; leave what was running alone
            for name in reversed(started):
                pid = _alive(paths.pid(name)) if name != "postgres" else None
                if pid is not None:
                    _stop_pid(pid)
                paths.pid(name).unlink(missing_ok=True)
        raise
    return started


def _exits(pid: int, timeout: float) -> bool:
    """Whether the process ends within timeout. An exited process counts at once: `up` has
    returned, so its children are reaped by init, which may take seconds to do so."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.02)
    return False


def _stop_pid(pid: int, timeout: float = 20.0) -> None:
    try:
        pgid = os.getpgid(pid)
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return
    if not _exits(pid, timeout):
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
    # The supervisor first, so it does not start again what is being stopped.
    for proc in [supervisor_process(), *reversed(processes(settings))]:
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


# What the supervisor (localstack.supervise) shares with `up`.
alive = _alive
spawn = _spawn
