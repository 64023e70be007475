"""RPCs on score runs: ComputeScores, PublishScores, FinalizeScores, VerifyScores,
PreviewWeights."""

from __future__ import annotations

from datetime import UTC

from oneassess import metrics
from oneassess.scoring.v1 import scoring_service_pb2 as pb
from services.common import idempotency
from services.common.auth import principal
from services.common.errors import InvalidArgument
from services.scoring.convert import preview_score_pb, run_pb
from services.scoring.handlers import Handlers
from services.scoring.numbers import decimal_text
from services.scoring.usecases import runs


class RunHandlers(Handlers):
    async def ComputeScores(self, request, context):
        ctx = await self.peers.cycle(request.cycle_code)
        # A retry answers before the slow read of every submission time.
        replayed = await idempotency.replay(
            self.pool,
            method=idempotency.method_of(request),
            request_id=request.request_id,
            fingerprint=idempotency.request_fingerprint(request),
            response_type=pb.ComputeScoresResponse,
        )
        if replayed is not None:
            return replayed
        asks = await self.peers.ask_times(request.cycle_code)
        caller = principal()

        async def work(conn):
            with metrics.SCORING_RUN_SECONDS.time():
                run = await runs.compute(conn, ctx=ctx, asks=asks, by=caller.signature)
            return pb.ComputeScoresResponse(run=run_pb(run))

        return await idempotency.once(self.pool, request, pb.ComputeScoresResponse, work)

    async def PublishScores(self, request, context):
        if not request.HasField("appeal_deadline"):
            raise InvalidArgument.field(
                "appeal_deadline", "is required: the end of the appeal window"
            )
        deadline = request.appeal_deadline.ToDatetime(tzinfo=UTC)
        caller = principal()

        async def work(conn):
            run = await runs.publish(
                conn, cycle_code=request.cycle_code, appeal_deadline=deadline, by=caller.signature
            )
            return pb.PublishScoresResponse(run=run_pb(run))

        return await idempotency.once(self.pool, request, pb.PublishScoresResponse, work)

    async def FinalizeScores(self, request, context):
        caller = principal()

        async def work(conn):
            run = await runs.finalize(conn, cycle_code=request.cycle_code, by=caller.signature)
            return pb.FinalizeScoresResponse(run=run_pb(run))

        return await idempotency.once(self.pool, request, pb.FinalizeScoresResponse, work)

    async def VerifyScores(self, request, context):
        ctx = await self.peers.cycle(request.cycle_code)
        checked = await runs.check(self.pool, ctx=ctx, run_number=request.run)
        return pb.VerifyScoresResponse(
            run=run_pb(checked.run),
            inputs_sha256=checked.inputs_sha256,
            results_sha256=checked.results_sha256,
            matches=not checked.differences,
            differences=checked.differences,
        )

    async def PreviewWeights(self, request, context):
        ctx = await self.peers.cycle(request.cycle_code)
        preview = await runs.preview(
            self.pool,
            ctx=ctx,
            run_number=request.run,
            given=dict(request.weights),
            group=request.group,
        )
        scores = [preview_score_pb(row, previewed) for row, previewed in preview.units]
        scores.sort(key=lambda s: (s.score.group, s.score.rank, s.score.unit_code))
        return pb.PreviewWeightsResponse(
            scores=scores,
            weights={k: decimal_text(v) for k, v in preview.weights.items()},
            run=run_pb(preview.run),
        )
