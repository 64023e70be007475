"""How activities call the services: a bounded timeout, and a refusal that will be refused
again (invalid, failed precondition, denied, not found) is not retried."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from oneassess.client import retry
from oneassess.client.channels import ON_BEHALF_OF_HEADER
from workflows import timeline

NON_RETRYABLE = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.NOT_FOUND,
}


def invalid(err: grpc.aio.AioRpcError) -> ApplicationError:
    """A request the service refuses as invalid will be refused again: do not retry it."""
    return ApplicationError(
        f"{err.code().name}: {err.details()}", type=err.code().name, non_retryable=True
    )


# Inside an activity a short ride-out is enough: Temporal retries the activity after that.
ACTIVITY_RETRY = retry.RetryPolicy(total_seconds=30.0)


async def call(rpc, request, *, on_behalf_of: str = ""):
    """One service call, its request (and request id) retried while the service is
    UNAVAILABLE; `on_behalf_of` names the person a scheduled call is made for."""
    metadata = ((ON_BEHALF_OF_HEADER, on_behalf_of),) if on_behalf_of else None
    try:
        return await retry.call(
            lambda: rpc(request, timeout=60, metadata=metadata), policy=ACTIVITY_RETRY
        )
    except grpc.aio.AioRpcError as err:
        if err.code() in NON_RETRYABLE:
            raise invalid(err) from err
        raise


def not_found(err: Exception) -> bool:
    if isinstance(err, grpc.aio.AioRpcError):
        return err.code() == grpc.StatusCode.NOT_FOUND
    return isinstance(err, RPCError) and err.status == RPCStatusCode.NOT_FOUND


def timestamp(moment: str) -> Timestamp:
    """A Timestamp of an ISO 8601 string with an offset. Kept here rather than imported from
    services.common.timestamps: the CLI reaches these modules (through workflows.control)
    and may not import services."""
    parsed = timeline.parse(moment)
    ts = Timestamp()
    ts.FromDatetime(parsed.astimezone(UTC))
    return ts


def instant(stamp: Timestamp, zone: ZoneInfo | None) -> str:
    moment = stamp.ToDatetime(tzinfo=UTC)
    return timeline.iso(moment.astimezone(zone) if zone else moment)
