"""Role x action over EVERY RPC of the three services, on real ports with real tokens from the
session's issuer: each role an RPC's POLICY admits passes authorisation (its request reaches
the handler, whatever the handler then says about an empty request); every other role is
PERMISSION_DENIED (ROLE_NOT_ALLOWED) before anything runs, and the denied calls write nothing."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import message_factory

from oneassess.client.errors import error_reason
from oneassess.indicators.v1 import indicators_service_pb2
from oneassess.scoring.v1 import scoring_service_pb2
from oneassess.submissions.v1 import submissions_service_pb2
from services.common.auth import Role
from services.indicators.servicer import POLICY as INDICATORS_POLICY
from services.scoring.servicer import POLICY as SCORING_POLICY
from services.submissions.servicer import POLICY as SUBMISSIONS_POLICY
from tests.conftest import token_for

SERVICES = {
    "indicators": (indicators_service_pb2, "IndicatorsService", INDICATORS_POLICY),
    "submissions": (submissions_service_pb2, "SubmissionsService", SUBMISSIONS_POLICY),
    "scoring": (scoring_service_pb2, "ScoringService", SCORING_POLICY),
}
# One caller per role, each with the scope its role needs.
CALLERS = {
    Role.ADMIN: {},
    Role.AUDITOR: {},
    Role.SERVICE: {},
    Role.ASSESSOR: {"department": "emergency-bureau"},
    Role.UNIT: {"unit": "baiquan-town"},
}
DENIED_REASONS = {"ROLE_NOT_ALLOWED", "SCOPE_MISSING", "ROLE_MISSING"}


def _methods(service: str):
    module, name, _ = SERVICES[service]
    return module.DESCRIPTOR.services_by_name[name]


@pytest.mark.parametrize("service", list(SERVICES))
def test_every_rpc_has_a_policy_and_every_policy_an_rpc(service):
    names = {m.name for m in _methods(service).methods}
    assert set(SERVICES[service][2]) == names


async def _call(
    channel: grpc.aio.Channel, service: str, method, token: str
) -> grpc.aio.AioRpcError | None:
    """Call one RPC with an empty request as the token's holder; its error, or None."""
    request_class = message_factory.GetMessageClass(method.input_type)
    response_class = message_factory.GetMessageClass(method.output_type)
    path = f"/{_methods(service).full_name}/{method.name}"
    kwargs = {
        "request_serializer": request_class.SerializeToString,
        "response_deserializer": response_class.FromString,
    }
    metadata = (("authorization", f"Bearer {token}"),)
    try:
        if method.client_streaming:
            call = channel.stream_unary(path, **kwargs)
            await call(iter([request_class()]), metadata=metadata, timeout=15)
        elif method.server_streaming:
            call = channel.unary_stream(path, **kwargs)(
                request_class(), metadata=metadata, timeout=15
            )
            async for _ in call:
                break
            call.cancel()
        else:
            await channel.unary_unary(path, **kwargs)(
                request_class(), metadata=metadata, timeout=15
            )
    except grpc.aio.AioRpcError as err:
        return err
    return None


async def _fingerprint(stack) -> dict[str, int]:
    """Rows in every table of every service's schema."""
    counts = {}
    for service in stack.running:
        async with stack.pool(service).acquire() as conn:
            tables = await conn.fetch(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = $1 AND table_type = 'BASE TABLE'",
                service,
            )
            for row in tables:
                name = row["table_name"]
                counts[f"{service}.{name}"] = await conn.fetchval(
                    f'SELECT count(*) FROM "{service}"."{name}"'
                )
    return counts


async def test_each_role_is_admitted_exactly_where_the_policy_says(services_stack):
    tokens = {role: token_for(role, **scope) for role, scope in CALLERS.items()}
    cases = [
        (service, method, role)
        for service in SERVICES
        for method in _methods(service).methods
        for role in CALLERS
    ]
    allowed = [c for c in cases if c[2] in SERVICES[c[0]][2][c[1].name]]
    denied = [c for c in cases if c[2] not in SERVICES[c[0]][2][c[1].name]]
    assert allowed and denied
    channels = {s: grpc.aio.insecure_channel(services_stack.address(s)) for s in SERVICES}
    try:
        before = await _fingerprint(services_stack)
        wrong = []
        for service, method, role in denied:
            err = await _call(channels[service], service, method, tokens[role])
            if (
                err is None
                or err.code() != grpc.StatusCode.PERMISSION_DENIED
                or error_reason(err) != "ROLE_NOT_ALLOWED"
            ):
                wrong.append((service, method.name, role.value, err and err.code()))
        assert wrong == [], f"not denied: {wrong}"
        assert await _fingerprint(services_stack) == before  # refusals wrote nothing
        for service, method, role in allowed:
            err = await _call(channels[service], service, method, tokens[role])
            if err is not None and (
                err.code() == grpc.StatusCode.UNAUTHENTICATED or error_reason(err) in DENIED_REASONS
            ):
                wrong.append((service, method.name, role.value, err.code(), err.details()))
        assert wrong == [], f"allowed by the policy but refused: {wrong}"
    finally:
        for channel in channels.values():
            await channel.close()
