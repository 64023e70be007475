"""The service side of bounded workflow state: a unit's extension requests are capped, and a
signal Temporal would refuse as too large becomes a dead letter the office sees, not a row
retried forever."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import asdict
from datetime import UTC, datetime

import grpc
import pytest

from oneassess.contract import SIGNAL_EXTENSION_REQUESTED, ExtensionRequested, cycle_workflow_id
from oneassess.contract.cycle import MAX_EXTENSIONS_PER_UNIT as MAX_EXTENSION_REQUESTS
from oneassess.submissions.v1 import submissions_service_pb2 as pb
from services.common.auth import Role
from services.submissions import repository as repo
from services.submissions.outbox import is_permanent
from tests.conftest import make_settings, start_stack, stop_stack
from tests.support import submissions as s

pytestmark = pytest.mark.hostile


def test_temporal_refusals_that_no_retry_can_fix_are_permanent():
    assert is_permanent("INVALID_ARGUMENT: Blob data size exceeds limit.")
    assert is_permanent("RESOURCE_EXHAUSTED: payload too large")
    assert not is_permanent("UNAVAILABLE: connection refused")
    assert not is_permanent("NOT_FOUND: workflow not found for ID: cycle/x")


async def test_extension_requests_are_capped_per_unit_per_cycle(settings):
    stack = await start_stack(settings, ("indicators", "submissions"))
    try:
        await s.fold_example(stack.admin)
        await s.open_window(stack.admin)
        unit = stack.as_(Role.UNIT, unit=s.UNIT)

        def request(reason: str) -> pb.RequestExtensionRequest:
            return pb.RequestExtensionRequest(
                request_id=str(uuid.uuid4()),
                cycle_code=s.CYCLE,
                unit_code=s.UNIT,
                days=3,
                reason=reason,
            )

        await asyncio.gather(
            *(
                unit.submissions.RequestExtension(request(f"reason {i}"))
                for i in range(MAX_EXTENSION_REQUESTS)
            )
        )
        pool = stack.pool("submissions")
        before = await pool.fetchval("SELECT count(*) FROM outbox")
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await unit.submissions.RequestExtension(request("one more"))
        assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert f"at most {MAX_EXTENSION_REQUESTS}" in err.value.details()
        assert await pool.fetchval("SELECT count(*) FROM outbox") == before
        # Another unit is not affected.
        other = stack.as_(Role.UNIT, unit=s.OTHER_UNIT)
        other_request = request("ours")
        other_request.unit_code = s.OTHER_UNIT
        await other.submissions.RequestExtension(other_request)
    finally:
        await stop_stack(stack)


async def test_a_signal_too_large_for_temporal_is_a_dead_letter_the_office_sees(
    tmp_path, database_url, restartable_dev_server
):
    settings = make_settings(
        tmp_path / "home",
        database_url,
        TEMPORAL_ADDRESS=restartable_dev_server.address,
        TEMPORAL_NAMESPACE=restartable_dev_server.namespace,
    )
    stack = await start_stack(settings, ("indicators", "submissions"))
    try:
        pool = stack.pool("submissions")
        # An event committed before the service bounded reasons: a 3 MB reason.
        event = ExtensionRequested(
            extension_id=str(uuid.uuid4()),
            cycle_code=s.CYCLE,
            unit_code=s.UNIT,
            days=3,
            reason="x" * 3_000_000,
            requested_by="unit:" + s.UNIT,
            requested_at=datetime.now(UTC).isoformat(),
        )
        async with pool.acquire() as conn:
            await repo.enqueue(
                conn,
                workflow_id=cycle_workflow_id(s.CYCLE),
                signal=SIGNAL_EXTENSION_REQUESTED,
                payload=asdict(event),
            )
        async with asyncio.timeout(60):
            while True:
                row = await pool.fetchrow("SELECT dead_at, attempts, last_error FROM outbox")
                if row["dead_at"] is not None:
                    break
                await asyncio.sleep(0.1)
        assert row["attempts"] == 1 and "limit" in row["last_error"]
        assert await repo.next_due_in(pool) is None  # nothing left to retry

        for role in (Role.ADMIN, Role.AUDITOR):
            listed = await stack.as_(role).submissions.ListDeadLetters(pb.ListDeadLettersRequest())
            (dead,) = listed.dead_letters
            assert dead.workflow_id == cycle_workflow_id(s.CYCLE)
            assert dead.signal == SIGNAL_EXTENSION_REQUESTED and "limit" in dead.error
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stack.as_(Role.UNIT, unit=s.UNIT).submissions.ListDeadLetters(
                pb.ListDeadLettersRequest()
            )
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    finally:
        await stop_stack(stack)
