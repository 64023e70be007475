"""The one service runtime: grpc.aio server, health, reflection, auth, pool, migrations,
telemetry and graceful shutdown. Each service supplies a ServiceSpec; nothing here is
service-specific.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
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
from oneassess.client.channels import CHANNEL_OPTIONS, ServiceClients
from oneassess.client.tokens import issue_token, token_secret
from oneassess.config import Settings
from services.common import db
from services.common.auth import Role
from services.common.interceptors import Policy, RequestContextInterceptor
from services.common.metrics import MetricsInterceptor

log = logging.getLogger(__name__)


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


@dataclass(frozen=True)
class ServiceSpec:
    name: str  # "indicators"; also its Postgres schema
    migrations: Path
    policy: Policy
    # Adds the servicers to the server; returns their full service names (for health/reflection).
    register: Callable[[grpc.aio.Server, Runtime], list[str]]
    # Optional background work started with the server and cancelled when it stops.
    background: Callable[[Runtime], list[Awaitable]] | None = None
    # Optional per-service resources (a blob store, a relay...): an async context manager
    # entered after the pool opens and before `register` (which finds what it yielded in
    # `runtime.resources`), exited after the server has drained and before the pool closes.
    lifespan: Callable[[Runtime], AbstractAsyncContextManager[Any]] | None = None


@dataclass
class RunningService:
    spec: ServiceSpec
    server: grpc.aio.Server
    port: int
    runtime: Runtime
    health: health.aio.HealthServicer
    resources: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)

    async def stop(self, grace: float | None = None) -> None:
        """Graceful: report NOT_SERVING, stop accepting, drain in-flight calls, close the pool."""
        await self.health.enter_graceful_shutdown()
        await self.server.stop(
            grace if grace is not None else self.runtime.settings.shutdown_grace_seconds
        )
        for task in self.runtime.background:
            task.cancel()
        await asyncio.gather(*self.runtime.background, return_exceptions=True)
        await self.resources.aclose()
        await self.runtime.peers.close()
        await self.runtime.pool.close()


def service_token(settings: Settings, name: str) -> Callable[[], str]:
    """A fresh short-lived service token whenever a peer call is made."""
    secret = token_secret(settings)
    return lambda: issue_token(secret, Role.SERVICE, subject=f"service:{name}", ttl_seconds=300)


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
    pool = await db.create_pool(
        url, spec.name, max_size=settings.db_pool_max, application=spec.name
    )
    peers = ServiceClients.from_settings(settings, service_token(settings, spec.name))
    runtime = Runtime(spec.name, settings, pool, peers)
    resources = contextlib.AsyncExitStack()
    try:
        if spec.lifespan:
            runtime.resources = await resources.enter_async_context(spec.lifespan(runtime))
        server, bound, health_servicer = await _serve(spec, settings, runtime, port)
    except BaseException:
        await resources.aclose()
        await peers.close()
        await pool.close()
        raise
    if spec.background:
        runtime.background = [asyncio.create_task(job) for job in spec.background(runtime)]
    log.info("%s listening on %s:%d", spec.name, settings.bind_host, bound)
    return RunningService(spec, server, bound, runtime, health_servicer, resources)


async def _serve(
    spec: ServiceSpec, settings: Settings, runtime: Runtime, port: int | None
) -> tuple[grpc.aio.Server, int, health.aio.HealthServicer]:
    """The started server (servicers, health, reflection), the port it bound, its health."""
    server = grpc.aio.server(
        interceptors=[
            MetricsInterceptor(spec.name),
            *telemetry.server_interceptors(),
            RequestContextInterceptor(token_secret(settings), spec.policy),
        ],
        options=CHANNEL_OPTIONS,
    )
    service_names = spec.register(server, runtime)
    health_servicer = health.aio.HealthServicer()
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
    return server, bound, health_servicer


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
    if "--migrate-only" in sys.argv[1:]:
        # A deployment's migration step (init container or Job) before the rollout: the
        # replicas then start with ONEASSESS_MIGRATE_ON_START=false.
        asyncio.run(migrate(spec, load()))
        return
    asyncio.run(serve_forever(spec, load()))
