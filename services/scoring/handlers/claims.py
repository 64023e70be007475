"""RPCs on tolerance claims: FileClaim, DecideClaim, ListClaims."""

from __future__ import annotations

from datetime import datetime

from oneassess.scoring.v1 import scoring_service_pb2 as pb
from services.common import idempotency
from services.common.auth import Role, principal
from services.common.errors import InvalidArgument
from services.common.paging import page_size
from services.scoring import tokens
from services.scoring.claims import check_reason, validate_filing
from services.scoring.convert import STATE_NAMES, claim_pb, indicator_ref
from services.scoring.handlers import Handlers
from services.scoring.usecases import claims


class ClaimHandlers(Handlers):
    async def FileClaim(self, request, context):
        caller = principal()
        caller.require_unit(request.unit_code)
        ctx = await self.peers.cycle(request.cycle_code)
        filing = validate_filing(
            catalogue=ctx.catalogue,
            tolerance=ctx.tolerance,
            unit_code=request.unit_code,
            category=request.category,
            description=request.description,
            indicators=[indicator_ref(r) for r in request.indicators],
            prefiling=request.prefiling,
            act_date=request.act_date,
            today=datetime.now(ctx.timezone).date(),
        )

        async def work(conn):
            claim = await claims.file(
                conn, cycle_code=request.cycle_code, filing=filing, by=caller.signature
            )
            return pb.FileClaimResponse(claim=claim_pb(claim))

        return await idempotency.once(self.pool, request, pb.FileClaimResponse, work)

    async def DecideClaim(self, request, context):
        caller = principal()
        if request.decision not in (pb.DECISION_APPROVE, pb.DECISION_REJECT):
            raise InvalidArgument.field("decision", "must be DECISION_APPROVE or DECISION_REJECT")
        reason = check_reason(request.reason)
        requested = [indicator_ref(r) for r in request.indicators]

        async def work(conn):
            claim = await claims.decide(
                conn,
                cycle_code=request.cycle_code,
                claim_id=request.claim_id,
                approved=request.decision == pb.DECISION_APPROVE,
                reason=reason,
                requested=requested,
                department=caller.department if caller.role is Role.ASSESSOR else None,
                by=caller.signature,
            )
            return pb.DecideClaimResponse(claim=claim_pb(claim))

        return await idempotency.once(self.pool, request, pb.DecideClaimResponse, work)

    async def ListClaims(self, request, context):
        caller = principal()
        unit = request.unit_code
        if caller.role is Role.UNIT:
            caller.require_unit(unit or caller.unit)
            unit = caller.unit
        size = page_size(request.page_size, default=100, maximum=1000)
        rows, more = await claims.page(
            self.pool,
            cycle_code=request.cycle_code,
            unit=unit,
            owner=caller.department if caller.role is Role.ASSESSOR else "",
            state=STATE_NAMES.get(request.state, ""),
            after=tokens.after_id(request.page_token),
            size=size,
        )
        return pb.ListClaimsResponse(
            claims=[claim_pb(c) for c in rows],
            next_page_token=tokens.id_token(rows[-1].id) if more else "",
        )
