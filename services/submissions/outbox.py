"""The outbox relay: delivers committed events to Temporal workflows as signals.

Each round claims due rows with FOR UPDATE SKIP LOCKED and leases them (they are due again
only after a lease), so replicas never send the same rows at the same time, and signals are
sent outside any transaction. The evidence rows of one unit workflow go as one batch signal
(services.submissions.signal_batches); a row keeps its batch, and each signal carries a request
id derived from its rows, so Temporal drops a resend of a signal that landed just before a
crash; the workflows also deduplicate by submission id / extension id. A row is marked
delivered only after its signal landed. While Temporal is unreachable or the workflow does not
exist yet, rows are retried with exponential backoff; nothing is dropped. A signal Temporal
refuses for good (its payload over the blob size limit, an invalid argument) is not retried
forever: a refused batch is split and each of its rows sent alone, and a row refused alone
becomes a dead letter (dead_at, last_error), kept and listed for the office by ListDeadLetters.

Relays wake on NOTIFY from the transactions that enqueue, and poll as a fallback; the
listening connection is opened again whenever it is lost (a PostgreSQL restart, a dropped
connection). The relay runs under a services.common Supervisor: any exception it does not
handle itself is logged and the relay starts again after a back-off; it beats on every round,
so one that hangs makes the service's health NOT_SERVING.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field
from datetime import timedelta

import asyncpg
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import SignalWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.service import RPCError, TLSConfig

from oneassess import metrics, telemetry
from oneassess.contract import (
    SIGNAL_EVIDENCE_SUBMITTED,
    SIGNAL_EXTENSION_REQUESTED,
    EvidenceSubmitted,
    ExtensionRequested,
)
from services.common.outage import RateLimitedLog
from services.common.supervisor import Supervisor
from services.submissions import repository as repo
from services.submissions.signal_batches import PlannedSignal, batch_id_for, plan_signals

log = logging.getLogger(__name__)
_database_errors = RateLimitedLog(log)

PAYLOADS = {
    SIGNAL_EVIDENCE_SUBMITTED: EvidenceSubmitted,
    SIGNAL_EXTENSION_REQUESTED: ExtensionRequested,
}


@dataclass(frozen=True)
class RelayOptions:
    batch: int = 200
    poll_seconds: float = 1.0
    gather_seconds: float = 0.05
    base_backoff_seconds: float = 0.25
    max_backoff_seconds: float = 5.0
    signal_timeout_seconds: float = 10.0
    # Leased rows are due again after this: a relay that died mid-round has its rows sent by
    # another (as the same batches, which Temporal drops if they had landed).
    lease_seconds: float = 30.0
    # A round (claim, signal, mark) that takes longer than this means the relay is stuck.
    stuck_after_seconds: float = 60.0


def backoff(attempts: int, options: RelayOptions) -> float:
    """Exponential with full jitter on the upper half, capped."""
    ceiling = min(options.max_backoff_seconds, options.base_backoff_seconds * 2**attempts)
    return ceiling / 2 + random.random() * ceiling / 2


# Temporal refuses a signal whose payloads exceed its blob size limit (2 MiB by default);
# larger ones are dead letters before they are sent.
MAX_SIGNAL_BYTES = 2 * 1024 * 1024
DEAD = "DEAD: "


@dataclass
class _Marks:
    """What one round's signals came to, row by row."""

    delivered: list[int] = field(default_factory=list)
    dead: list[tuple[int, str]] = field(default_factory=list)
    failed: list[tuple[int, float, str]] = field(default_factory=list)  # id, wait, error
    split: list[tuple[PlannedSignal, str]] = field(default_factory=list)  # batch, error


def is_permanent(error: str) -> bool:
    """Whether a failed signal can never land however often it is retried."""
    return (
        error.startswith((DEAD, "INVALID_ARGUMENT"))
        or "exceeds limit" in error
        or "too large" in error.lower()
    )


class OutboxRelay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        database_url: str,
        temporal_address: str,
        namespace: str,
        options: RelayOptions | None = None,
        tls: TLSConfig | bool = False,
        api_key: str | None = None,
    ) -> None:
        self.pool = pool
        self.database_url = database_url
        self.temporal_address = temporal_address
        self.namespace = namespace
        self.options = options or RelayOptions()
        # A cluster's TLS (CA, client certificate) and a Temporal Cloud API key, when set.
        self.tls = tls
        self.api_key = api_key
        self._wake = asyncio.Event()
        self._client: Client | None = None
        self._reported_unreachable = False
        self._listener: asyncpg.Connection | None = None
        self.delivered = 0  # signals landed since start
        self.listening = False

    def supervisor(self) -> Supervisor:
        """The supervisor to run this relay under (its `problem` is the relay's health)."""
        return Supervisor("relay", self.run, stuck_after_seconds=self.options.stuck_after_seconds)

    async def run(self, supervisor: Supervisor | None = None) -> None:
        """Deliver forever (until cancelled). Database errors are waited out here; anything
        else escapes to the supervisor, which restarts the relay."""
        beat = supervisor.beat if supervisor is not None else (lambda: None)
        outage = 0
        try:
            while True:
                beat()
                self._wake.clear()  # a NOTIFY from here on wakes the idle wait below
                await self._ensure_listening()
                client = await self._connected()
                if client is None:
                    outage += 1
                    await asyncio.sleep(backoff(outage, self.options))
                    continue
                try:
                    sent, unreachable = await self.deliver_once(client)
                    if unreachable:  # Temporal is down: wait for it, not for new rows
                        outage += 1
                        await asyncio.sleep(backoff(outage, self.options))
                    elif sent < self.options.batch:
                        outage = 0
                        await self._idle(await self._idle_seconds())
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
                    outage += 1
                    _database_errors.warning(
                        "database", f"outbox: database unavailable, retrying: {err!r}"
                    )
                    await asyncio.sleep(backoff(outage, self.options))
        finally:
            await self._stop_listening()

    async def deliver_once(self, client: Client) -> tuple[int, bool]:
        """One round: lease due rows (as batches), signal, mark. Returns (rows attempted,
        whether Temporal itself looked unreachable)."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await repo.claim_outbox(conn, limit=self.options.batch)
            if not rows:
                return 0, False
            signals = plan_signals(rows)
            await repo.lease_outbox(
                conn,
                batches=[(planned.batch_id, planned.ids) for planned in signals],
                seconds=self.options.lease_seconds,
            )
        results = await asyncio.gather(*(self._signal(client, planned) for planned in signals))
        marks = self._sort(zip(signals, results, strict=True))
        async with self.pool.acquire() as conn, conn.transaction():
            await self._mark(conn, marks, len(rows))
        unreachable = (
            bool(marks.failed)
            and not marks.delivered
            and all(e.startswith("UNAVAILABLE") for _, _, e in marks.failed)
        )
        return len(rows), unreachable

    def _sort(self, outcome) -> _Marks:
        marks = _Marks()
        for planned, error in outcome:
            if error is None:
                marks.delivered += planned.ids
            elif is_permanent(error) and len(planned.rows) > 1:
                # One bad row must not make its batch-mates dead letters: each goes alone next.
                marks.split.append((planned, error))
            elif is_permanent(error):
                marks.dead += [(i, error) for i in planned.ids]
            else:
                wait = backoff(planned.attempts, self.options)  # one due time for the batch
                marks.failed += [(i, wait, error) for i in planned.ids]
        return marks

    async def _mark(self, conn, marks: _Marks, claimed: int) -> None:
        if marks.delivered:
            lags = await repo.mark_delivered(conn, ids=marks.delivered)
            for lag in lags:
                metrics.OUTBOX_LAG_SECONDS.observe(lag)
            metrics.OUTBOX_DELIVERED.inc(len(lags))
            self.delivered += len(lags)
        if marks.split:
            alone = [(batch_id_for(i), [i]) for planned, _ in marks.split for i in planned.ids]
            await repo.lease_outbox(conn, batches=alone, seconds=0)
            log.warning(
                "outbox: a batch of %d signals refused for good (%s); sending each alone",
                len(marks.split[0][0].rows),
                marks.split[0][1],
            )
        if marks.dead:
            await repo.mark_dead(conn, failures=marks.dead)
            log.error(
                "outbox: %d signals refused for good, kept as dead letters (%s)",
                len(marks.dead),
                marks.dead[0][1],
            )
        if marks.failed:
            await repo.mark_failed(conn, failures=marks.failed)
            metrics.OUTBOX_FAILED.inc(len(marks.failed))
            log.info(
                "outbox: %d of %d rows not signalled (%s); retrying",
                len(marks.failed),
                claimed,
                marks.failed[0][2],
            )

    async def _signal(self, client: Client, planned: PlannedSignal) -> str | None:
        """None when the signal landed, else the error text."""
        payload = planned.payload()
        payload_type = PAYLOADS.get(planned.name)
        arg = payload_type(**payload) if payload_type else payload
        request = SignalWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=planned.workflow_id),
            signal_name=planned.name,
            identity=client.identity,
            request_id=planned.request_id,
        )
        request.input.payloads.extend(await client.data_converter.encode([arg]))
        size = sum(p.ByteSize() for p in request.input.payloads)
        if size > MAX_SIGNAL_BYTES:
            return f"{DEAD}payload of {size} bytes exceeds Temporal's {MAX_SIGNAL_BYTES}-byte limit"
        if planned.trace_context:
            # The upload's trace continues in the workflow that handles the signal.
            request.header.fields[telemetry.TEMPORAL_TRACE_HEADER].CopyFrom(
                client.data_converter.payload_converter.to_payloads([planned.trace_context])[0]
            )
        metrics.OUTBOX_SIGNAL_ROWS.observe(len(planned.rows))
        try:
            with metrics.OUTBOX_SIGNAL_SECONDS.time():
                await client.workflow_service.signal_workflow_execution(
                    request,
                    retry=False,
                    timeout=timedelta(seconds=self.options.signal_timeout_seconds),
                )
        except RPCError as err:
            name = err.status.name if err.status is not None else "UNAVAILABLE"
            return f"{name}: {err.message}"
        except (RuntimeError, OSError) as err:  # the core client raises these when disconnected
            return f"UNAVAILABLE: {err}"
        return None

    async def _connected(self) -> Client | None:
        if self._client is None:
            try:
                async with asyncio.timeout(self.options.signal_timeout_seconds):
                    self._client = await Client.connect(
                        self.temporal_address,
                        namespace=self.namespace,
                        interceptors=telemetry.temporal_interceptors(),
                        tls=self.tls,
                        api_key=self.api_key,
                    )
            except (TimeoutError, RuntimeError, OSError, RPCError) as err:
                level = logging.DEBUG if self._reported_unreachable else logging.WARNING
                log.log(
                    level,
                    "outbox: Temporal at %s unreachable (%s); retrying",
                    self.temporal_address,
                    err,
                )
                self._reported_unreachable = True
                return None
            log.info("outbox: connected to Temporal at %s", self.temporal_address)
            self._reported_unreachable = False
        return self._client

    async def _ensure_listening(self) -> None:
        """LISTEN on a connection of its own; again whenever that connection was lost."""
        if self._listener is not None and not self._listener.is_closed():
            return
        if self._listener is not None:
            log.warning("outbox: lost the LISTEN connection; listening again")
            await self._stop_listening()
        try:
            async with asyncio.timeout(10):
                conn = await asyncpg.connect(self.database_url)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as err:
            _database_errors.warning(
                "listen", f"outbox: cannot LISTEN ({err!r}); polling until the database is back"
            )
            return
        try:
            await conn.add_listener(repo.OUTBOX_CHANNEL, lambda *_: self._wake.set())
            # A lost connection wakes the relay at once, to listen again and catch up.
            conn.add_termination_listener(lambda *_: self._wake.set())
        except BaseException:
            conn.terminate()
            raise
        self._listener = conn
        self.listening = True
        # Rows committed while nobody listened are due now: look at once.
        self._wake.set()

    async def _stop_listening(self) -> None:
        listener, self._listener = self._listener, None
        self.listening = False
        if listener is not None and not listener.is_closed():
            try:
                async with asyncio.timeout(2):
                    await listener.close()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
                listener.terminate()

    async def _idle_seconds(self) -> float:
        async with self.pool.acquire() as conn:
            due = await repo.next_due_in(conn)
        return self.options.poll_seconds if due is None else min(due, self.options.poll_seconds)

    async def backlog(self, pool: asyncpg.Pool) -> dict[str, object]:
        """The readiness probe: outbox depth, oldest undelivered age, whether it listens."""
        async with pool.acquire() as conn:
            depth, oldest = await repo.outbox_backlog(conn)
        return {
            "depth": depth,
            "oldest_seconds": None if oldest is None else round(oldest, 1),
            "delivered": self.delivered,
            "listening": self.listening,
            "temporal": "reachable" if self._client is not None else "unreachable",
        }

    async def _idle(self, seconds: float) -> None:
        try:
            async with asyncio.timeout(seconds):
                await self._wake.wait()
        except TimeoutError:
            return
        # Woken by a commit: let a burst's other commits land, to send them in one batch.
        await asyncio.sleep(self.options.gather_seconds)


async def sample_depth(pool: asyncpg.Pool, *, every: float = 5.0) -> None:
    """Keeps the outbox depth and oldest-pending-age gauges current (for /metrics)."""
    while True:
        try:
            async with pool.acquire() as conn:
                pending, oldest = await repo.outbox_backlog(conn)
            metrics.OUTBOX_PENDING.set(pending)
            metrics.OUTBOX_OLDEST_SECONDS.set(oldest or 0.0)
        except (OSError, asyncpg.PostgresError) as err:
            log.debug("outbox depth not sampled: %s", err)
        await asyncio.sleep(every)
