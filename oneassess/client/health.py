"""Asking a service whether it can work: its gRPC health, and the reason and numbers its
readiness report carries (trailing metadata `oneassess-readiness`, JSON), so `oneassess status`
can say "unhealthy (database unreachable ...)" and show the outbox depth."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

READINESS_METADATA = "oneassess-readiness"


@dataclass(frozen=True)
class Health:
    serving: bool
    reason: str = ""  # why not serving ("" when serving)
    report: dict[str, Any] = field(default_factory=dict)  # the service's readiness report

    @property
    def state(self) -> str:
        return "running" if self.serving else f"unhealthy ({self.reason or 'not serving'})"


async def check(
    channel: grpc.aio.Channel, *, service: str = "", within_seconds: float = 3.0
) -> Health:
    """The health of the server behind `channel` (one Check, bounded by `within_seconds`)."""
    call = health_pb2_grpc.HealthStub(channel).Check(
        health_pb2.HealthCheckRequest(service=service), timeout=within_seconds
    )
    try:
        reply = await call
        trailing = await call.trailing_metadata()
    except grpc.aio.AioRpcError as err:
        details = (err.details() or "").strip().splitlines()
        return Health(False, f"{err.code().name}: {details[0][:120] if details else 'no answer'}")
    report: dict[str, Any] = {}
    for key, value in trailing or ():
        if key == READINESS_METADATA:
            try:
                report = json.loads(value)
            except ValueError:
                report = {}
    serving = reply.status == health_pb2.HealthCheckResponse.SERVING
    status_name = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    reason = "" if serving else "; ".join(report.get("problems") or []) or status_name
    return Health(serving, reason, report)
