"""The scoring service as the runtime sees it: schema, migrations, policy, servicer."""

from __future__ import annotations

from pathlib import Path

import grpc

from oneassess.scoring.v1 import scoring_service_pb2, scoring_service_pb2_grpc
from services.common.server import Runtime, ServiceSpec
from services.scoring.servicer import POLICY, ScoringServicer


def _register(server: grpc.aio.Server, runtime: Runtime) -> list[str]:
    scoring_service_pb2_grpc.add_ScoringServiceServicer_to_server(ScoringServicer(runtime), server)
    return [scoring_service_pb2.DESCRIPTOR.services_by_name["ScoringService"].full_name]


SPEC = ServiceSpec(
    name="scoring",
    migrations=Path(__file__).parent / "migrations",
    policy=POLICY,
    register=_register,
)
