"""The outbox relay: delivers committed events to Temporal workflows as signals.

Rows are claimed with FOR UPDATE SKIP LOCKED, so replicas never send the same row at the
same time; a row is marked delivered only after its signal landed. Each signal carries a
request id derived from the row, so Temporal drops a resend of a signal that landed just
before a crash; the workflows also deduplicate by submission id / extension id. While
Temporal is unreachable or the workflow does not exist yet, rows are retried with
exponential backoff; nothing is dropped.

Relays wake on NOTIFY from the transactions that enqueue, and poll as a fallback.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import SignalWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.service import RPCError, TLSConfig

from oneassess import telemetry
from oneassess.contract import (
    SIGNAL_EVIDENCE_SUBMITTED,
    SIGNAL_EXTENSION_REQUESTED,
    EvidenceSubmitted,
    ExtensionRequested,
)
from services.submissions import repository as repo

log = logging.getLogger(__name__)

PAYLOADS = {
    SIGNAL_EVIDENCE_SUBMITTED: EvidenceSubmitted,
    SIGNAL_EXTENSION_REQUESTED: ExtensionRequested,
}
_REQUEST_NAMESPACE = uuid.UUID("7d1f6f3e-3c55-4c0b-9b1e-5a8e1c0f4b21")


@dataclass(frozen=True)
class RelayOptions:
    batch: int = 200
    poll_seconds: float = 1.0
    gather_seconds: float = 0.05
    base_backoff_seconds: float = 0.25
    max_backoff_seconds: float = 5.0
    signal_timeout_seconds: float = 10.0


def backoff(attempts: int, options: RelayOptions) -> float:
    """Exponential with full jitter on the upper half, capped."""
    ceiling = min(options.max_backoff_seconds, options.base_backoff_seconds * 2**attempts)
    return ceiling / 2 + random.random() * ceiling / 2


def signal_request_id(row_id: int) -> str:
    return str(uuid.uuid5(_REQUEST_NAMESPACE, f"outbox/{row_id}"))


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

    async def run(self) -> None:
        """Deliver forever (until cancelled)."""
        listener = await self._listen()
        outage = 0
        try:
            while True:
                self._wake.clear()  # a NOTIFY from here on wakes the idle wait below
                client = await self._connected()
                if client is None:
                    outage += 1
                    await asyncio.sleep(backoff(outage, self.options))
                    continue
                try:
                    sent, unreachable = await self.deliver_once(client)
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as err:
                    log.warning("outbox: database error, retrying: %s", err)
                    await asyncio.sleep(backoff(outage + 1, self.options))
                    continue
                if unreachable:  # Temporal is down: wait for it, not for new rows
                    outage += 1
                    await asyncio.sleep(backoff(outage, self.options))
                elif sent < self.options.batch:
                    outage = 0
                    await self._idle(await self._idle_seconds())
        finally:
            if listener is not None:
                await listener.close()

    async def deliver_once(self, client: Client) -> tuple[int, bool]:
        """One batch: (rows attempted, whether Temporal itself looked unreachable)."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await repo.claim_outbox(conn, limit=self.options.batch)
            if not rows:
                return 0, False
            results = await asyncio.gather(*(self._signal(client, row) for row in rows))
            delivered = [row.id for row, error in zip(rows, results, strict=True) if error is None]
            failed = [
                (row.id, backoff(row.attempts, self.options), error)
                for row, error in zip(rows, results, strict=True)
                if error is not None
            ]
            if delivered:
                await repo.mark_delivered(conn, ids=delivered)
            if failed:
                await repo.mark_failed(conn, failures=failed)
                log.info(
                    "outbox: %d of %d signals failed (%s); retrying",
                    len(failed),
                    len(rows),
                    failed[0][2],
                )
        unreachable = (
            bool(failed)
            and not delivered
            and all(e.startswith("UNAVAILABLE") for _, _, e in failed)
        )
        return len(rows), unreachable

    async def _signal(self, client: Client, row: repo.OutboxRow) -> str | None:
        """None when the signal landed, else the error text."""
        payload_type = PAYLOADS.get(row.signal)
        arg = payload_type(**row.payload) if payload_type else row.payload
        request = SignalWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=row.workflow_id),
            signal_name=row.signal,
            identity=client.identity,
            request_id=signal_request_id(row.id),
        )
        request.input.payloads.extend(await client.data_converter.encode([arg]))
        if row.trace_context:
            # The upload's trace continues in the workflow that handles the signal.
            request.header.fields[telemetry.TEMPORAL_TRACE_HEADER].CopyFrom(
                client.data_converter.payload_converter.to_payloads([row.trace_context])[0]
            )
        try:
            await client.workflow_service.signal_workflow_execution(
                request, retry=False, timeout=timedelta(seconds=self.options.signal_timeout_seconds)
            )
        except RPCError as err:
            return f"{err.status.name}: {err.message}"
        except (RuntimeError, OSError) as err:  # the core client raises these when disconnected
            return f"UNAVAILABLE: {err}"
        return None

    async def _connected(self) -> Client | None:
        if self._client is None:
            try:
                self._client = await Client.connect(
                    self.temporal_address,
                    namespace=self.namespace,
                    interceptors=telemetry.temporal_interceptors(),
                    tls=self.tls,
                    api_key=self.api_key,
                )
            except (RuntimeError, OSError, RPCError) as err:
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

    async def _listen(self) -> asyncpg.Connection | None:
        try:
            conn = await asyncpg.connect(self.database_url)
            await conn.add_listener(repo.OUTBOX_CHANNEL, lambda *_: self._wake.set())
            return conn
        except (OSError, asyncpg.PostgresError) as err:
            log.warning("outbox: cannot LISTEN (%s); polling only", err)
            return None

    async def _idle_seconds(self) -> float:
        async with self.pool.acquire() as conn:
            due = await repo.next_due_in(conn)
        return self.options.poll_seconds if due is None else min(due, self.options.poll_seconds)

    async def _idle(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        except TimeoutError:
            return
        # Woken by a commit: let a burst's other commits land, to send them in one batch.
        await asyncio.sleep(self.options.gather_seconds)
