"""The indicators service as the runtime sees it: schema, migrations, policy, servicers.

One process serves three APIs: IndicatorsService (the catalogue, units, cycles and their
fold), CycleControlService (running a folded cycle: the only path from people to Temporal) and
DelegationService (who may act for whom). Its lifespan holds its own Temporal client.
"""

from __future__ import annotations

from pathlib import Path

import grpc

from oneassess.indicators.v1 import (
    cycle_control_service_pb2,
    cycle_control_service_pb2_grpc,
    delegation_service_pb2,
    delegation_service_pb2_grpc,
    indicators_service_pb2,
    indicators_service_pb2_grpc,
)
from services.common.server import Runtime, ServiceSpec
from services.indicators import cycle_control, delegations, temporal_link
from services.indicators.servicer import POLICY, IndicatorsServicer


def _register(server: grpc.aio.Server, runtime: Runtime) -> list[str]:
    indicators_service_pb2_grpc.add_IndicatorsServiceServicer_to_server(
        IndicatorsServicer(runtime), server
    )
    cycle_control_service_pb2_grpc.add_CycleControlServiceServicer_to_server(
        cycle_control.CycleControlServicer(runtime, runtime.resources), server
    )
    delegation_service_pb2_grpc.add_DelegationServiceServicer_to_server(
        delegations.DelegationServicer(runtime), server
    )
    return [
        indicators_service_pb2.DESCRIPTOR.services_by_name["IndicatorsService"].full_name,
        cycle_control_service_pb2.DESCRIPTOR.services_by_name["CycleControlService"].full_name,
        delegation_service_pb2.DESCRIPTOR.services_by_name["DelegationService"].full_name,
    ]


def _lifespan(runtime: Runtime):
    return temporal_link.lifespan(runtime.settings)


# Method names are unique across the three APIs, so one policy covers them.
SPEC = ServiceSpec(
    name="indicators",
    migrations=Path(__file__).parent / "migrations",
    policy={**POLICY, **cycle_control.POLICY, **delegations.POLICY},
    register=_register,
    lifespan=_lifespan,
    delegations=delegations.database_check,
)
