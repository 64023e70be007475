"""Reading a received gRPC error: its code, message, field violations and reason."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status


def describe_rpc_error(err: grpc.RpcError) -> tuple[str, str, list[str]]:
    """(code name, message, violations) of a received error, for clients and the CLI."""
    status = rpc_status.from_call(err) if hasattr(err, "trailing_metadata") else None
    violations: list[str] = []
    if status is not None:
        for detail in status.details:
            bad_request = error_details_pb2.BadRequest()
            if detail.Unpack(bad_request):
                violations += [f"{v.field}: {v.description}" for v in bad_request.field_violations]
    return err.code().name, err.details() or "", violations


def error_reason(err: grpc.RpcError) -> str:
    """The ErrorInfo reason of a received error, or ''."""
    status = rpc_status.from_call(err)
    if status is None:
        return ""
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return info.reason
    return ""
