"""RPCs reading results: ListScores, GetScorecard. Units read their own row and scorecard,
of published runs only."""

from __future__ import annotations

from oneassess.scoring.v1 import scoring_service_pb2 as pb
from services.common.auth import Role, principal
from services.common.paging import page_size
from services.scoring import tokens
from services.scoring.convert import group_tiers_pb, run_pb, scorecard_pb, unit_score_pb
from services.scoring.handlers import Handlers
from services.scoring.usecases import scorecards


class ScorecardHandlers(Handlers):
    async def ListScores(self, request, context):
        caller = principal()
        unit_only = caller.role is Role.UNIT
        size = page_size(request.page_size, default=500, maximum=5000)
        page = await scorecards.page(
            self.pool,
            cycle_code=request.cycle_code,
            run_number=request.run,
            published_only=unit_only,
            group=request.group,
            unit=caller.unit if unit_only else "",
            after=tokens.after_score(request.page_token),
            size=size,
        )
        last = page.scores[-1] if page.scores else None
        return pb.ListScoresResponse(
            scores=[unit_score_pb(r) for r in page.scores],
            next_page_token=tokens.score_token(
                page.run.run, last.group_code, last.rank, last.unit_code
            )
            if page.more and last
            else "",
            run=run_pb(page.run),
            tiers=group_tiers_pb(page.tiers),
        )

    async def GetScorecard(self, request, context):
        caller = principal()
        caller.require_unit(request.unit_code)
        ctx = await self.peers.cycle(request.cycle_code)
        found = await scorecards.scorecard(
            self.pool,
            ctx=ctx,
            unit=request.unit_code,
            run_number=request.run,
            published_only=caller.role is Role.UNIT,
        )
        return pb.GetScorecardResponse(
            scorecard=scorecard_pb(found.score, found.card), run=run_pb(found.run)
        )
