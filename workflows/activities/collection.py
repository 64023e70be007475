"""The collection window in the submissions service: open (or move) it, close it, move one
unit's deadline and lock."""

from __future__ import annotations

from temporalio import activity

from oneassess.client.channels import ServiceClients
from oneassess.submissions.v1 import submissions_service_pb2 as sub
from workflows.activities.calls import call, timestamp
from workflows.model import CloseCollectionInput, CollectionInput, ExtendUnitInput


class CollectionActivities:
    def __init__(self, services: ServiceClients) -> None:
        self._services = services

    @activity.defn(name="open_collection")
    async def open_collection(self, input: CollectionInput) -> None:
        window = sub.CollectionWindow(
            cycle_code=input.cycle_code,
            opens_at=timestamp(input.opens),
            deadline=timestamp(input.deadline),
            closes_at=timestamp(input.closes_at),
        )
        await call(
            self._services.submissions.OpenCollection,
            sub.OpenCollectionRequest(request_id=input.request_id, window=window),
        )

    @activity.defn(name="close_collection")
    async def close_collection(self, input: CloseCollectionInput) -> None:
        await call(
            self._services.submissions.CloseCollection,
            sub.CloseCollectionRequest(
                request_id=input.request_id,
                cycle_code=input.cycle_code,
                closes_at=timestamp(input.closes_at),
            ),
        )

    @activity.defn(name="extend_unit")
    async def extend_unit(self, input: ExtendUnitInput) -> None:
        await call(
            self._services.submissions.ExtendUnit,
            sub.ExtendUnitRequest(
                request_id=input.request_id,
                cycle_code=input.cycle_code,
                unit_code=input.unit_code,
                deadline=timestamp(input.deadline),
                closes_at=timestamp(input.closes_at),
                approved_by=input.approved_by,
                reason=input.reason,
            ),
        )
