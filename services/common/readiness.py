"""Health follows readiness: a service is SERVING only while it reaches its database and every
background job it owns (supervised) runs and makes progress.

One background loop checks, every few seconds, that the database answers `SELECT 1` on a
connection of the check's own (so a pool busy with a burst is not mistaken for an outage),
asks each supervisor for its problem and runs each probe (e.g. the outbox depth), and caches
the result; health checks only read the cache. The health service carries:

- `""` and each servicer's name: SERVING or NOT_SERVING, as probes expect;
- one name per component, `oneassess.database` and `oneassess.<job>` (e.g. `oneassess.relay`),
  so a probe or an operator can see which part is failing;
- on every Check, trailing metadata `oneassess-readiness`: JSON with the problems and the
  probes' numbers (`oneassess status` prints them; metrics can export them).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from grpc_health.v1 import health, health_pb2

from services.common.outage import outage_cause
from services.common.supervisor import Supervisor

log = logging.getLogger(__name__)

READINESS_METADATA = "oneassess-readiness"
DATABASE_COMPONENT = "oneassess.database"

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING

Probe = Callable[[asyncpg.Pool], Awaitable[dict[str, Any]]]


class Readiness:
    """The cached readiness of one service process."""

    def __init__(
        self,
        name: str,
        pool: asyncpg.Pool,
        database_url: str,
        *,
        check_seconds: float = 2.0,
        timeout_seconds: float = 2.0,
    ) -> None:
        self.name = name
        self.pool = pool
        self.database_url = database_url
        self._conn: asyncpg.Connection | None = None
        self.check_seconds = check_seconds
        self.timeout_seconds = timeout_seconds
        self.supervisors: list[Supervisor] = []
        self.probes: dict[str, Probe] = {}
        self.database_problem: str | None = None
        self.problems: list[str] = []
        # The probes' latest numbers, e.g. {"outbox": {"depth": 3, "oldest_seconds": 1.2}}.
        self.details: dict[str, dict[str, Any]] = {}
        self.checked_at = 0.0
        self._health: health.aio.HealthServicer | None = None
        self._service_names: list[str] = []
        self._published: tuple[bool, tuple[str, ...]] | None = None

    def supervise(self, supervisor: Supervisor) -> Supervisor:
        """Count `supervisor`'s job in readiness (the caller starts and stops it)."""
        self.supervisors.append(supervisor)
        self._published = None  # the next check publishes its component too
        return supervisor

    def probe(self, name: str, probe: Probe) -> None:
        """Run `probe(pool)` with each check; its numbers appear in the readiness report."""
        self.probes[name] = probe

    @property
    def ready(self) -> bool:
        return not self.problems

    def report(self) -> dict[str, Any]:
        """What `oneassess status` shows: ready or not, why, and the probes' numbers."""
        return {
            "ready": self.ready,
            "problems": list(self.problems),
            "checked_seconds_ago": round(time.monotonic() - self.checked_at, 1),
            **self.details,
        }

    async def attach(self, servicer: health.aio.HealthServicer, service_names: list[str]) -> None:
        """Publish into `servicer` from now on (the server is serving)."""
        self._health = servicer
        self._service_names = ["", *service_names]
        await self.check()

    async def check(self) -> None:
        """One round: database, supervised jobs, probes; then publish what changed."""
        self.database_problem = await self._database()
        details: dict[str, dict[str, Any]] = {}
        if self.database_problem is None:
            for name, probe in self.probes.items():
                try:
                    async with asyncio.timeout(self.timeout_seconds):
                        details[name] = await probe(self.pool)
                except Exception as error:  # a probe never makes the service unready by itself
                    details[name] = {"error": outage_cause(error) or repr(error)}
        self.details = details
        problems = [p for p in (self.database_problem,) if p]
        problems += [p for s in self.supervisors if (p := s.problem)]
        self.problems = problems
        self.checked_at = time.monotonic()
        await self._publish()

    async def run(self, supervisor: Supervisor) -> None:
        """Check forever (run under a Supervisor of its own)."""
        try:
            while True:
                await self.check()
                supervisor.beat()
                await asyncio.sleep(self.check_seconds)
        finally:
            await self.close()

    async def _database(self) -> str | None:
        try:
            async with asyncio.timeout(self.timeout_seconds):
                if self._conn is None or self._conn.is_closed():
                    self._conn = await asyncpg.connect(
                        self.database_url,
                        server_settings={"application_name": f"{self.name}-readiness"},
                    )
                await self._conn.fetchval("SELECT 1")
        except Exception as error:
            await self.close()
            cause = outage_cause(error)
            if cause is None:
                cause = f"database check failed ({type(error).__name__}: {error})"
            return cause.replace("database unavailable", "database unreachable", 1)
        return None

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.terminate()

    async def _publish(self) -> None:
        if self._health is None:
            return
        # What is failing, without the numbers that change on every check ("stuck for 61s").
        state = (self.ready, tuple(re.sub(r"\d+(\.\d+)?", "#", p) for p in self.problems))
        if state == self._published:
            return
        if self.ready and self._published is not None:
            log.warning("%s: ready again: SERVING", self.name)
        elif not self.ready:
            log.warning("%s: NOT_SERVING: %s", self.name, "; ".join(self.problems))
        self._published = state
        overall = SERVING if self.ready else NOT_SERVING
        for name in self._service_names:
            await self._health.set(name, overall)
        await self._health.set(
            DATABASE_COMPONENT, NOT_SERVING if self.database_problem else SERVING
        )
        for supervisor in self.supervisors:
            await self._health.set(
                f"oneassess.{supervisor.name}", NOT_SERVING if supervisor.problem else SERVING
            )


class ReadinessHealthServicer(health.aio.HealthServicer):
    """The standard health service, whose Check also carries the readiness report."""

    def __init__(self, readiness: Readiness) -> None:
        super().__init__()
        self._readiness = readiness

    async def Check(self, request, context):
        context.set_trailing_metadata(
            ((READINESS_METADATA, json.dumps(self._readiness.report(), sort_keys=True)),)
        )
        return await super().Check(request, context)
