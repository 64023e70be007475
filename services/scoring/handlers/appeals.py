"""RPCs on appeals: FileAppeal, DecideAppeal, ListAppeals."""

from __future__ import annotations

from oneassess.scoring.v1 import scoring_service_pb2 as pb
from services.common import idempotency
from services.common.auth import Role, principal
from services.common.errors import InvalidArgument
from services.common.paging import page_size
from services.scoring import lookups, tokens
from services.scoring.claims import check_reason
from services.scoring.convert import (
    APPEAL_STATE_NAMES,
    appeal_pb,
    indicator_ref,
    review_input_dict,
    run_pb,
)
from services.scoring.handlers import Handlers
from services.scoring.usecases import appeals


class AppealHandlers(Handlers):
    async def FileAppeal(self, request, context):
        caller = principal()
        caller.require_unit(request.unit_code)
        ctx = await self.peers.cycle(request.cycle_code)
        unit = lookups.unit(ctx.catalogue, request.unit_code)
        key = indicator_ref(request.indicator)
        lookups.rule(ctx.catalogue, key, unit, "indicator")
        reason = check_reason(request.reason)

        async def work(conn):
            appeal = await appeals.file(
                conn,
                cycle_code=request.cycle_code,
                unit=unit.code,
                key=key,
                reason=reason,
                by=caller.signature,
            )
            return pb.FileAppealResponse(appeal=appeal_pb(appeal))

        return await idempotency.once(self.pool, request, pb.FileAppealResponse, work)

    async def DecideAppeal(self, request, context):
        caller = principal()
        if request.decision not in (pb.APPEAL_DECISION_UPHOLD, pb.APPEAL_DECISION_ADJUST):
            raise InvalidArgument.field(
                "decision", "must be APPEAL_DECISION_UPHOLD or APPEAL_DECISION_ADJUST"
            )
        adjust = request.decision == pb.APPEAL_DECISION_ADJUST
        if adjust and not request.HasField("adjustment"):
            raise InvalidArgument.field("adjustment", "is required to adjust: the corrected review")
        if not adjust and request.HasField("adjustment"):
            raise InvalidArgument.field("adjustment", "is only for APPEAL_DECISION_ADJUST")
        reason = check_reason(request.reason)
        ctx = await self.peers.cycle(request.cycle_code)

        async def work(conn):
            decided = await appeals.decide(
                conn,
                ctx=ctx,
                appeal_id=request.appeal_id,
                adjustment=review_input_dict(request.adjustment) if adjust else None,
                reason=reason,
                caller=caller,
            )
            return pb.DecideAppealResponse(
                appeal=appeal_pb(decided.appeal),
                run=run_pb(decided.run) if decided.run else None,
            )

        return await idempotency.once(self.pool, request, pb.DecideAppealResponse, work)

    async def ListAppeals(self, request, context):
        caller = principal()
        unit = request.unit_code
        if caller.role is Role.UNIT:
            caller.require_unit(unit or caller.unit)
            unit = caller.unit
        sa_codes = None
        if caller.role is Role.ASSESSOR:
            ctx = await self.peers.cycle(request.cycle_code)
            sa_codes = lookups.own_special_assessments(ctx.catalogue, caller)
        size = page_size(request.page_size, default=100, maximum=1000)
        rows, more = await appeals.page(
            self.pool,
            cycle_code=request.cycle_code,
            unit=unit,
            state=APPEAL_STATE_NAMES.get(request.state, ""),
            sa_codes=sa_codes,
            after=tokens.after_id(request.page_token),
            size=size,
        )
        return pb.ListAppealsResponse(
            appeals=[appeal_pb(a) for a in rows],
            next_page_token=tokens.id_token(rows[-1].id) if more else "",
        )
