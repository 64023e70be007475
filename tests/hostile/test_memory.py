"""The submissions service as a process of its own: the uploads that took it to 597 MB and then
to 23 GB (nested brackets, declared as a PDF or as JSON) are refused, its peak resident memory
stays under 300 MB, and it still answers health checks afterwards."""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from oneassess.client.channels import ServiceClients
from oneassess.indicators.v1 import indicators_service_pb2 as ipb
from tests.conftest import token_for
from tests.support import submissions as s

pytestmark = pytest.mark.hostile

MAX_RSS_BYTES = 300 * 1024 * 1024


async def _json_ask(indicators) -> tuple[str, str]:
    catalogue = (
        await indicators.admin.indicators.GetCatalogue(ipb.GetCatalogueRequest(cycle_code=s.CYCLE))
    ).catalogue
    for kind in catalogue.asks_by_kind:
        for ask in kind.asks:
            if "json" in ask.formats:
                return next(
                    u.code for u in catalogue.units if u.kind == kind.kind
                ), ask.evidence_key
    raise AssertionError("no ask accepts json")


async def test_bracket_bombs_leave_the_service_small_and_serving(tmp_path):
    async with s.local_stack(tmp_path) as (_settings, indicators, service):
        json_unit, json_key = await _json_ask(indicators)
        cases = [
            (s.UNIT, s.KEY, "pdf", b"[" * 30_000),
            (s.UNIT, s.KEY, "pdf", b"[" * 1_800_000),
            (json_unit, json_key, "json", b"[" * 1_800_000),
            (json_unit, json_key, "json", b'{"a":' * 300_000),
        ]
        for unit, key, fmt, data in cases:
            clients = ServiceClients({"submissions": service.address}, token_for("unit", unit=unit))
            try:
                with pytest.raises(grpc.aio.AioRpcError) as err:
                    await s.upload(clients, data, unit=unit, key=key, fmt=fmt, file_name=f"x.{fmt}")
                assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
                assert "declared_format" in err.value.details()
            finally:
                await clients.close()
            assert s.peak_rss_bytes(service.process.pid) < MAX_RSS_BYTES
        async with grpc.aio.insecure_channel(service.address) as channel:
            reply = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=5
            )
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
