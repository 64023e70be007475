"""The one service runtime: grpc.aio server, health, reflection, auth, pool, migrations,
telemetry and graceful shutdown. Each service supplies a ServiceSpec; nothing here is
service-specific.
"""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from oneassess import logs, metrics, telemetry
from oneassess.client.channels import ServiceClients
from oneassess.client.tokens import ClientCredentials
from oneassess.config import Settings
from services.common import db
from services.common.auth import Verifier
from services.common.delegation import CachedCheck, DelegationCheck
from services.common.interceptors import Policy, RequestContextInterceptor
from services.common.metrics import MetricsInterceptor
from services.common.readiness import Readiness, ReadinessHealthServicer
from services.common.supervisor import Supervisor, cancel_and_wait

log = logging.getLogger(__name__)

# What one request may be (the largest is a 32 MiB import file or history export, see
# services.common.limits), and the keepalive policy: pings from clients at most every 20 s,
# two strikes and the connection goes; idle connections closed after 5 minutes; at most 100
# concurrent streams on one connection.
MAX_REQUEST_BYTES = 34 * 1024 * 1024
# Each step of a shutdown (background work, resources, the pool) gets this long; a hung one
# is abandoned and logged rather than keeping the process (or a test) alive forever.
STOP_STEP_SECONDS = 15.0
SERVER_OPTIONS = [
    ("grpc.max_receive_message_length", MAX_REQUEST_BYTES),
    ("grpc.max_send_message_length", 64 * 1024 * 1024),
    ("grpc.keepalive_time_ms", 60_000),
    ("grpc.keepalive_timeout_ms", 20_000),
    ("grpc.http2.min_recv_ping_interval_without_data_ms", 20_000),
    ("grpc.http2.max_ping_strikes", 2),
    ("grpc.max_connection_idle_ms", 300_000),
    ("grpc.max_concurrent_streams", 100),
    # gRPC sets SO_REUSEPORT by default: a second server on a taken port would then bind too,
    # and the kernel would share connections between the two (callers of one service reaching
    # another: "Method not found"). A taken port must be an error at start.
    ("grpc.so_reuseport", 0),
]


@dataclass
class Runtime:
    """What a running service's handlers get: settings, its pool, and clients to its peers."""

    name: str
    settings: Settings
    pool: asyncpg.Pool
    peers: ServiceClients
    background: list[asyncio.Task] = field(default_factory=list)
    # What the spec's lifespan yielded (e.g. the submissions blob store), None without one.
    resources: Any = None
    # Health follows it: the database and every supervised job (services.common.readiness).
    readiness: Readiness | None = None

    def supervise(self, supervisor: Supervisor) -> Supervisor:
        """Count a long-lived job in this service's health; the caller starts and stops it."""
        assert self.readiness is not None
        return self.readiness.supervise(supervisor)


@dataclass(frozen=True)
class ServiceSpec:
    name: str  # "indicators"; also its Postgres schema
    migrations: Path
    policy: Policy
    # Adds the servicers to the server; returns their full service names (for health/reflection).
    register: Callable[[grpc.aio.Server, Runtime], list[str]]
    # Optional background work started with the server and cancelled when it stops. A
    # Supervisor (services.common.supervisor) is restarted on failure and counts in health:
    # use one for anything long-lived; a bare awaitable just runs once.
    background: Callable[[Runtime], list[Awaitable | Supervisor]] | None = None
    # Optional per-service resources (a blob store, a relay...): an async context manager
    # entered after the pool opens and before `register` (which finds what it yielded in
    # `runtime.resources`), exited after the server has drained and before the pool closes.
    lifespan: Callable[[Runtime], AbstractAsyncContextManager[Any]] | None = None
    # How the interceptor checks a delegation (x-oneassess-on-behalf-of); by default it asks
    # the indicators service (CheckDelegation), which records them, caching its answers.
    delegations: Callable[[Runtime], DelegationCheck] | None = None


@dataclass
class RunningService:
    spec: ServiceSpec
    server: grpc.aio.Server
    port: int
    runtime: Runtime
    health: health.aio.HealthServicer
    resources: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)
    stuck: list[str] = field(default_factory=list)  # shutdown steps abandoned (see _step)

    async def stop(self, grace: float | None = None) -> None:
        """Graceful: report NOT_SERVING, stop accepting, drain in-flight calls, close the pool."""
        started = time.monotonic()
        await self.health.enter_graceful_shutdown()
        grace = grace if grace is not None else self.runtime.settings.shutdown_grace_seconds
        # The grace is for calls to finish; past it they are cancelled, and a call whose
        # clean-up then hangs is abandoned like any other step.
        await self._step("in-flight calls", self.server.stop(grace), extra_seconds=grace)
        log.info("%s: calls drained after %.1fs", self.spec.name, time.monotonic() - started)
        await self._step("background work", cancel_and_wait(self.runtime.background))
        await self._step("resources", self.resources.aclose())
        await self.runtime.peers.close()
        if not await self._step("database connections", self.runtime.pool.close()):
            self.runtime.pool.terminate()
        log.info("%s: stopped after %.1fs", self.spec.name, time.monotonic() - started)

    async def _step(self, what: str, step: Awaitable, extra_seconds: float = 0.0) -> bool:
        """One step of the shutdown, bounded: a step still waiting after STOP_STEP_SECONDS is
        abandoned, logged with the stack of every task still running (what it waited on),
        and remembered in `stuck`; the shutdown goes on instead of hanging."""
        task = asyncio.ensure_future(step)
        # Not wait_for: on its timeout it waits for the cancelled step to finish, which a hung
        # step never does.
        limit = STOP_STEP_SECONDS + extra_seconds
        done, _ = await asyncio.wait({task}, timeout=limit)
        if task in done:
            task.result()  # a step's own error still surfaces
            return True
        stacks = running_task_stacks()
        self.stuck.append(f"{what}:\n{stacks}")
        log.error(
            "%s: %s still not stopped after %.0fs; going on. Tasks still running:\n%s",
            self.spec.name, what, limit, stacks,
        )  # fmt: skip
        task.cancel()  # asked once more, not waited for
        return False


def running_task_stacks(depth: int = 24) -> str:
    """Every unfinished asyncio task of this loop with the chain of coroutines it is
    suspended in, outermost first (Task.get_stack shows only the outermost one). Tasks
    suspended in C code alone (gRPC's own) are counted, not listed."""
    lines, bare = [], 0
    for task in asyncio.all_tasks():
        if task.done() or task is asyncio.current_task():
            continue
        frames = list(_awaited_frames(task.get_coro(), depth))
        if not any(frame.f_code.co_filename.endswith(".py") for frame in frames):
            bare += 1
            continue
        lines.append(f"  task {task.get_name()}:")
        for frame in frames:
            code = frame.f_code
            lines.append(f"    {code.co_filename}:{frame.f_lineno} in {code.co_name}")
    if bare:
        lines.append(f"  and {bare} tasks waiting in C code only (gRPC's server loop)")
    return "\n".join(lines) or "  (none)"


def _awaited_frames(awaitable, depth: int):
    """The frames of a coroutine and of what it awaits, down the await chain."""
    for _ in range(depth):
        frame = getattr(awaitable, "cr_frame", None) or getattr(awaitable, "ag_frame", None)
        if frame is None:
            frame = getattr(awaitable, "gi_frame", None)
        if frame is None:
            return
        yield frame
        awaitable = (
            getattr(awaitable, "cr_await", None)
            or getattr(awaitable, "ag_await", None)
            or getattr(awaitable, "gi_yieldfrom", None)
        )


def service_token(settings: Settings, name: str) -> Callable[[], Awaitable[str]]:
    """This process's service token for peer calls: a client_credentials token from the
    issuer (client ONEASSESS_CLIENT_ID, else `name`, with ONEASSESS_CLIENT_SECRET), cached
    until shortly before it expires."""
    return ClientCredentials(settings, settings.client_id or name, settings.client_secret)


def _ask_indicators(runtime: Runtime) -> DelegationCheck:
    """Delegations as the indicators service (which records them) answers, cached."""
    from oneassess.indicators.v1 import delegation_service_pb2 as dpb

    async def ask(delegate: str, delegator: str, role: str) -> bool:
        reply = await runtime.peers.delegations.CheckDelegation(
            dpb.CheckDelegationRequest(delegate=delegate, delegator=delegator, role=role)
        )
        return reply.active

    return CachedCheck(ask)


async def migrate(spec: ServiceSpec, settings: Settings) -> list[str]:
    """Apply the service's pending migrations (under an advisory lock: replicas and a
    migration Job or init container may race safely); returns the names applied."""
    url = db.database_url(settings)
    applied = await db.migrate(url, spec.name, db.load_migrations(spec.name, spec.migrations))
    if applied:
        log.info("%s: applied migrations %s", spec.name, ", ".join(applied))
    else:
        log.info("%s: schema up to date", spec.name)
    return applied


async def start(
    spec: ServiceSpec, settings: Settings, *, port: int | None = None
) -> RunningService:
    telemetry.setup(spec.name)
    metrics.serve(settings.metrics_port, settings.bind_host)
    url = db.database_url(settings)
    if settings.migrate_on_start:
        await migrate(spec, settings)
    # DATABASE_URL is the administrative URL (migrations); the service itself connects as
    # its own role, which owns its schema and cannot write the others'.
    service_url = await db.ensure_service_role(url, spec.name)
    pool = await db.create_pool(
        service_url, spec.name, max_size=settings.db_pool_max, application=spec.name
    )
    peers = ServiceClients.from_settings(settings, service_token(settings, spec.name))
    runtime = Runtime(spec.name, settings, pool, peers)
    runtime.readiness = Readiness(
        spec.name, pool, url, check_seconds=settings.readiness_check_seconds
    )
    resources = contextlib.AsyncExitStack()
    try:
        if spec.lifespan:
            runtime.resources = await resources.enter_async_context(spec.lifespan(runtime))
        server, bound, health_servicer, names = await _serve(spec, settings, runtime, port)
        await runtime.readiness.attach(health_servicer, names)
    except BaseException:
        await resources.aclose()
        await peers.close()
        await pool.close()
        raise
    for job in spec.background(runtime) if spec.background else []:
        if isinstance(job, Supervisor):
            runtime.background.append(runtime.supervise(job).start())
        else:
            runtime.background.append(asyncio.create_task(job))
    checking = Supervisor("readiness", runtime.readiness.run, stuck_after_seconds=None)
    runtime.background.append(checking.start())
    log.info("%s listening on %s:%d", spec.name, settings.bind_host, bound)
    return RunningService(spec, server, bound, runtime, health_servicer, resources)


async def _serve(
    spec: ServiceSpec, settings: Settings, runtime: Runtime, port: int | None
) -> tuple[grpc.aio.Server, int, health.aio.HealthServicer, list[str]]:
    """The started server (servicers, health, reflection), the port it bound, its health and
    the names of its servicers."""
    server = grpc.aio.server(
        interceptors=[
            MetricsInterceptor(spec.name),
            *telemetry.server_interceptors(),
            RequestContextInterceptor(
                Verifier.from_settings(settings),
                spec.policy,
                (spec.delegations or _ask_indicators)(runtime),
            ),
        ],
        options=SERVER_OPTIONS,
    )
    service_names = spec.register(server, runtime)
    health_servicer = ReadinessHealthServicer(runtime.readiness)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        [*service_names, health.SERVICE_NAME, reflection.SERVICE_NAME], server
    )
    bind_port = settings.port_of(spec.name) if port is None else port
    address = f"{settings.bind_host}:{bind_port}"
    credentials = settings.server_credentials()
    bound = (
        server.add_secure_port(address, credentials)
        if credentials
        else server.add_insecure_port(address)
    )
    if bound == 0:
        raise OSError(
            f"{spec.name}: cannot listen on {settings.bind_host}:{bind_port} (port in use?)"
        )
    await server.start()
    for name in ["", *service_names]:
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    return server, bound, health_servicer, service_names


async def serve_forever(spec: ServiceSpec, settings: Settings) -> None:
    """Run until SIGTERM/SIGINT, then shut down gracefully."""
    running = await start(spec, settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("%s: shutting down (grace %.0fs)", spec.name, settings.shutdown_grace_seconds)
    await running.stop()
    telemetry.shutdown()


def main(spec: ServiceSpec) -> None:
    import sys

    from oneassess.config import load

    logs.configure(spec.name)
    # `kill -USR1` writes every thread's stack to stderr: what a process that will not stop
    # (or answer) is waiting on, without a debugger in the pod.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    if "--migrate-only" in sys.argv[1:]:
        # A deployment's migration step (init container or Job) before the rollout: the
        # replicas then start with ONEASSESS_MIGRATE_ON_START=false.
        asyncio.run(migrate(spec, load()))
        return
    asyncio.run(serve_forever(spec, load()))
