"""Score runs in the scoring service: compute, publish, make final."""

from __future__ import annotations

import grpc
from temporalio import activity
from temporalio.exceptions import ApplicationError

from oneassess.client.channels import ServiceClients
from oneassess.client.errors import error_reason
from oneassess.scoring.v1 import scoring_service_pb2 as sco
from workflows.activities.calls import NON_RETRYABLE, call, invalid, timestamp
from workflows.model import ScoresInput

# FinalizeScores answers these while the results cannot be final yet; they clear with time.
FINALIZE_LATER = {"APPEALS_PENDING", "APPEAL_WINDOW_OPEN"}


class ScoringActivities:
    def __init__(self, services: ServiceClients) -> None:
        self._services = services

    @activity.defn(name="compute_scores")
    async def compute_scores(self, input: ScoresInput) -> int:
        reply = await call(
            self._services.scoring.ComputeScores,
            sco.ComputeScoresRequest(request_id=input.request_id, cycle_code=input.cycle_code),
        )
        return reply.run.run

    @activity.defn(name="publish_scores")
    async def publish_scores(self, input: ScoresInput) -> int:
        reply = await call(
            self._services.scoring.PublishScores,
            sco.PublishScoresRequest(
                request_id=input.request_id,
                cycle_code=input.cycle_code,
                appeal_deadline=timestamp(input.appeal_deadline),
            ),
            on_behalf_of=input.on_behalf_of,
        )
        return reply.run.run

    @activity.defn(name="finalize_scores")
    async def finalize_scores(self, input: ScoresInput) -> int:
        try:
            reply = await self._services.scoring.FinalizeScores(
                sco.FinalizeScoresRequest(request_id=input.request_id, cycle_code=input.cycle_code),
                timeout=60,
            )
        except grpc.aio.AioRpcError as err:
            if error_reason(err) in FINALIZE_LATER:
                # An appeal still awaits its assessor (or the window is still open): try again.
                raise ApplicationError(
                    f"not final yet: {err.details()}", type=error_reason(err)
                ) from err
            if err.code() in NON_RETRYABLE:
                raise invalid(err) from err
            raise
        return reply.run.run
