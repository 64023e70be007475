"""The shared service runtime: health, reflection, authentication, authorisation, errors,
migrations. Exercised through the indicators service on a real port."""

from __future__ import annotations

import asyncio
import time

import grpc
import jwt
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from oneassess.client.errors import error_reason
from oneassess.indicators.v1 import indicators_service_pb2 as pb
from oneassess.indicators.v1 import indicators_service_pb2_grpc as pb_grpc
from services.common import db
from services.common.auth import Role
from services.indicators.service import SPEC
from tests.conftest import start_stack, stop_stack, test_issuer, token_for


@pytest.fixture
async def indicators(settings):
    stack = await start_stack(settings, ("indicators",))
    yield stack
    await stop_stack(stack)


async def _call_get_cycle(address: str, metadata=()):
    async with grpc.aio.insecure_channel(address) as ch:
        return await pb_grpc.IndicatorsServiceStub(ch).GetCycle(
            pb.GetCycleRequest(cycle_code="nope"), metadata=metadata
        )


async def test_health_answers_serving_without_a_token(indicators):
    async with grpc.aio.insecure_channel(indicators.address("indicators")) as ch:
        stub = health_pb2_grpc.HealthStub(ch)
        overall = await stub.Check(health_pb2.HealthCheckRequest())
        named = await stub.Check(
            health_pb2.HealthCheckRequest(service="oneassess.indicators.v1.IndicatorsService")
        )
    assert overall.status == health_pb2.HealthCheckResponse.SERVING
    assert named.status == health_pb2.HealthCheckResponse.SERVING


async def test_reflection_lists_the_versioned_service(indicators):
    async with grpc.aio.insecure_channel(indicators.address("indicators")) as ch:
        stub = reflection_pb2_grpc.ServerReflectionStub(ch)
        responses = stub.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")])
        )
        names = [s.name async for r in responses for s in r.list_services_response.service]
    assert "oneassess.indicators.v1.IndicatorsService" in names


async def test_missing_token_is_unauthenticated(indicators):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await _call_get_cycle(indicators.address("indicators"))
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert error_reason(err.value) == "TOKEN_MISSING"


async def test_forged_token_is_unauthenticated(indicators):
    from services.issuer.keys import SigningKey

    genuine = token_for(Role.ADMIN)
    # Same claims and the issuer's key id, signed with a key that is not the issuer's.
    forged = jwt.encode(
        jwt.decode(genuine, options={"verify_signature": False}),
        SigningKey.generate().private,
        algorithm="ES256",
        headers={"kid": test_issuer().issuer.key.kid},
    )
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await _call_get_cycle(
            indicators.address("indicators"), (("authorization", f"Bearer {forged}"),)
        )
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert error_reason(err.value) == "TOKEN_INVALID"


async def test_expired_token_is_unauthenticated(indicators):
    now = int(time.time())
    expired = token_for(Role.ADMIN, iat=now - 3600, nbf=now - 3600, exp=now - 120)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await _call_get_cycle(
            indicators.address("indicators"), (("authorization", f"Bearer {expired}"),)
        )
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert error_reason(err.value) == "TOKEN_EXPIRED"


async def test_role_without_permission_is_denied(indicators):
    unit = indicators.as_(Role.UNIT, unit="baiquan-town")
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await unit.indicators.FoldCycle(pb.FoldCycleRequest(cycle_code="x"))
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "role 'unit' may not call FoldCycle" in err.value.details()


async def test_domain_error_maps_to_status_naming_the_field(indicators):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await indicators.admin.indicators.GetCycle(pb.GetCycleRequest(cycle_code="nope"))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert err.value.details().startswith("cycle_code:")
    assert error_reason(err.value) == "CYCLE_NOT_FOUND"


async def test_valid_token_for_an_allowed_role_passes(indicators):
    auditor = token_for(Role.AUDITOR)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await _call_get_cycle(
            indicators.address("indicators"), (("authorization", f"Bearer {auditor}"),)
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND  # authorised: reached the handler


async def test_migrations_apply_once_when_replicas_start_together(database_url):
    migrations = db.load_migrations("indicators", SPEC.migrations)
    results = await asyncio.gather(
        *(db.migrate(database_url, "indicators", migrations) for _ in range(3))
    )
    applied = sorted(name for result in results for name in result)
    assert applied == sorted(f"{m.source}/{m.name}" for m in migrations)
    assert await db.migrate(database_url, "indicators", migrations) == []


async def test_a_request_id_replays_only_for_the_caller_who_made_it(indicators, example_dir):
    from oneassess.client.tokens import bearer_metadata
    from tests.conftest import read_source

    request = pb.ImportUnitsRequest(
        request_id="units-once", file=read_source(example_dir / "units.yaml")
    )
    first = await indicators.admin.indicators.ImportUnits(request)
    again = await indicators.admin.indicators.ImportUnits(request)
    assert again == first and first.created == 24
    # Another member of the office reusing the id is told so, not handed the first response.
    other = bearer_metadata(token_for(Role.ADMIN, subject="office:zhang"))
    async with grpc.aio.insecure_channel(indicators.address("indicators")) as ch:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await pb_grpc.IndicatorsServiceStub(ch).ImportUnits(request, metadata=other)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "request id 'units-once' was already used" in err.value.details()


async def test_a_second_server_on_a_taken_port_fails_to_start_instead_of_sharing_it(indicators):
    # With SO_REUSEPORT (gRPC's default) both would bind and the kernel would hand each of
    # them a share of the callers.
    settings = indicators.settings
    with pytest.raises((OSError, RuntimeError)) as err:
        await start_stack(settings, ("indicators",))
    assert str(settings.indicators_port) in str(err.value)
    async with grpc.aio.insecure_channel(indicators.address("indicators")) as ch:
        reply = await health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest())
    assert reply.status == health_pb2.HealthCheckResponse.SERVING  # the first one, alone


async def test_a_shutdown_step_that_hangs_is_abandoned_and_named(settings, monkeypatch):
    from services.common import server

    monkeypatch.setattr(server, "STOP_STEP_SECONDS", 1.0)
    stack = await start_stack(settings, ("indicators",))
    service = stack.running["indicators"]
    release = asyncio.Event()

    async def deaf_to_cancellation() -> None:
        while not release.is_set():
            try:
                await release.wait()
            except asyncio.CancelledError:
                continue  # the kind of bug a shutdown must survive

    stubborn = asyncio.create_task(deaf_to_cancellation(), name="stubborn")
    service.runtime.background.append(stubborn)
    started = time.monotonic()
    await service.stop(grace=0.1)
    assert time.monotonic() - started < 60  # not forever; 1 s a step, on a busy machine more
    assert len(service.stuck) == 1 and service.stuck[0].startswith("background work")
    assert "task stubborn" in service.stuck[0] and "deaf_to_cancellation" in service.stuck[0]
    assert " in wait" in service.stuck[0]  # down the await chain: what it is waiting on
    assert service.runtime.pool.is_closing()  # the pool was still closed
    release.set()
    await stubborn
