"""The submissions service as the runtime sees it: schema, migrations, policy, servicer, and
its lifespan: the blob store and the outbox relay, opened and closed with the service."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import grpc

from oneassess import temporal
from oneassess.submissions.v1 import submissions_service_pb2, submissions_service_pb2_grpc
from services.common import db
from services.common.server import Runtime, ServiceSpec
from services.submissions.blobstore import BlobStore, LocalBlobStore
from services.submissions.outbox import OutboxRelay
from services.submissions.servicer import POLICY, SubmissionsServicer

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def _lifespan(runtime: Runtime) -> AsyncIterator[BlobStore]:
    """Yields the blob store (after removing what stopped processes left in it) while the
    outbox relay delivers to Temporal; on exit stops the relay, then closes the store."""
    store = LocalBlobStore(runtime.settings.blobs)
    removed = store.recover()
    if removed:
        log.info(
            "submissions: removed %d temporary upload file(s) left by stopped processes", removed
        )
    relay = OutboxRelay(
        runtime.pool,
        database_url=db.database_url(runtime.settings),
        temporal_address=runtime.settings.temporal_address,
        namespace=runtime.settings.temporal_namespace,
        tls=temporal.tls_config(runtime.settings),
        api_key=runtime.settings.temporal_api_key or None,
    )
    relaying = asyncio.create_task(relay.run())
    try:
        yield store
    finally:
        relaying.cancel()
        await asyncio.gather(relaying, return_exceptions=True)
        store.close()


def _register(server: grpc.aio.Server, runtime: Runtime) -> list[str]:
    servicer = SubmissionsServicer(runtime, runtime.resources)
    submissions_service_pb2_grpc.add_SubmissionsServiceServicer_to_server(servicer, server)
    return [submissions_service_pb2.DESCRIPTOR.services_by_name["SubmissionsService"].full_name]


SPEC = ServiceSpec(
    name="submissions",
    migrations=Path(__file__).parent / "migrations",
    policy=POLICY,
    register=_register,
    lifespan=_lifespan,
)
