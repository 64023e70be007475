"""Signals to many unit workflows at once (a calendar change, the results), with bounded
concurrency and heartbeats, so a retry resumes where it stopped."""

from __future__ import annotations

import asyncio
from functools import partial

from temporalio import activity
from temporalio.client import Client
from temporalio.service import RPCError

from oneassess.client.channels import ServiceClients
from oneassess.client.paging import pages
from oneassess.contract import SIGNAL_SCORED, unit_workflow_id
from oneassess.scoring.v1 import scoring_service_pb2 as sco
from workflows.activities.calls import call, not_found
from workflows.model import DeliverResultsInput, SignalUnitsInput, UnitResult

SIGNAL_CONCURRENCY = 50


class UnitSignalActivities:
    def __init__(self, services: ServiceClients, temporal: Client) -> None:
        self._services = services
        self._temporal = temporal

    @activity.defn(name="signal_units")
    async def signal_units(self, input: SignalUnitsInput) -> int:
        async def send(code: str) -> None:
            await self._signal(
                unit_workflow_id(input.cycle_code, code), input.signal, input.payload
            )

        return await self._fan_out(input.unit_codes, send)

    @activity.defn(name="deliver_results")
    async def deliver_results(self, input: DeliverResultsInput) -> int:
        """Tell every unit its result (published, then final): the unit's history says "scored"."""
        scores: dict[str, sco.UnitScore] = {}
        run = 0
        async for reply in pages(
            partial(call, self._services.scoring.ListScores),
            sco.ListScoresRequest(cycle_code=input.cycle_code, page_size=5000),
        ):
            run = reply.run.run
            scores.update({s.unit_code: s for s in reply.scores})

        async def send(code: str) -> None:
            score = scores.get(code)
            result = UnitResult(
                composite=score.composite if score else "",
                rank=score.rank if score else 0,
                tier=score.tier if score else "",
                group=score.group if score else "",
                vetoed=score.vetoed if score else False,
                run=run,
                final=input.final,
            )
            await self._signal(unit_workflow_id(input.cycle_code, code), SIGNAL_SCORED, result)

        return await self._fan_out(input.unit_codes or sorted(scores), send)

    async def _signal(self, workflow_id: str, name: str, payload) -> None:
        try:
            await self._temporal.get_workflow_handle(workflow_id).signal(name, payload)
        except RPCError as err:
            if not not_found(err):
                raise
            activity.logger.info("%s: no running workflow to signal %s", workflow_id, name)

    async def _fan_out(self, codes: list[str], send) -> int:
        """Bounded concurrency; progress heartbeats so a retry resumes where it stopped."""
        details = activity.info().heartbeat_details
        done = int(details[0]) if details else 0
        gate = asyncio.Semaphore(SIGNAL_CONCURRENCY)

        async def one(code: str) -> None:
            async with gate:
                await send(code)

        step = SIGNAL_CONCURRENCY * 4
        for start in range(done, len(codes), step):
            await asyncio.gather(*(one(code) for code in codes[start : start + step]))
            activity.heartbeat(min(start + step, len(codes)))
        return len(codes)
