"""The submissions service as the runtime sees it: schema, migrations, policy, servicer, and
the outbox relay as its background job."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import grpc

from oneassess.submissions.v1 import submissions_service_pb2, submissions_service_pb2_grpc
from services.common import db
from services.common.server import Runtime, ServiceSpec
from services.submissions.blobstore import LocalBlobStore
from services.submissions.outbox import OutboxRelay
from services.submissions.servicer import POLICY, SubmissionsServicer

log = logging.getLogger(__name__)

# One blob store per running service (keyed by its runtime), closed with the service.
_blob_stores: dict[int, LocalBlobStore] = {}


def _blob_store(runtime: Runtime) -> LocalBlobStore:
    if id(runtime) not in _blob_stores:
        store = LocalBlobStore(runtime.settings.blobs)
        removed = store.recover()
        if removed:
            log.info(
                "submissions: removed %d temporary upload file(s) left by stopped processes",
                removed,
            )
        _blob_stores[id(runtime)] = store
    return _blob_stores[id(runtime)]


def _register(server: grpc.aio.Server, runtime: Runtime) -> list[str]:
    servicer = SubmissionsServicer(runtime, _blob_store(runtime))
    submissions_service_pb2_grpc.add_SubmissionsServiceServicer_to_server(servicer, server)
    return [submissions_service_pb2.DESCRIPTOR.services_by_name["SubmissionsService"].full_name]


async def _close_blob_store_on_stop(runtime: Runtime) -> None:
    try:
        await asyncio.Event().wait()
    finally:
        store = _blob_stores.pop(id(runtime), None)
        if store is not None:
            store.close()


def _background(runtime: Runtime) -> list:
    relay = OutboxRelay(
        runtime.pool,
        database_url=db.database_url(runtime.settings),
        temporal_address=runtime.settings.temporal_address,
        namespace=runtime.settings.temporal_namespace,
    )
    return [relay.run(), _close_blob_store_on_stop(runtime)]


SPEC = ServiceSpec(
    name="submissions",
    migrations=Path(__file__).parent / "migrations",
    policy=POLICY,
    register=_register,
    background=_background,
)
