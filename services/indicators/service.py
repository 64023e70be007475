"""The indicators service as the runtime sees it: schema, migrations, policy, servicers."""

from __future__ import annotations

from pathlib import Path

import grpc

from oneassess.indicators.v1 import indicators_service_pb2, indicators_service_pb2_grpc
from services.common.server import Runtime, ServiceSpec
from services.indicators.servicer import POLICY, IndicatorsServicer


def _register(server: grpc.aio.Server, runtime: Runtime) -> list[str]:
    indicators_service_pb2_grpc.add_IndicatorsServiceServicer_to_server(
        IndicatorsServicer(runtime), server
    )
    return [indicators_service_pb2.DESCRIPTOR.services_by_name["IndicatorsService"].full_name]


SPEC = ServiceSpec(
    name="indicators",
    migrations=Path(__file__).parent / "migrations",
    policy=POLICY,
    register=_register,
)
