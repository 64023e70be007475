"""What the scoring service reads from its peers, with the service token: the frozen
catalogue and cycle plan (indicators service) and the submission times (submissions service).

A folded cycle never changes, so its context is cached for the life of the process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import grpc

from oneassess.client.channels import ServiceClients
from oneassess.client.paging import pages
from oneassess.indicators.v1 import indicators_service_pb2 as ind_pb
from oneassess.submissions.v1 import submissions_service_pb2 as sub_pb
from services.common.errors import FailedPrecondition, InvalidArgument, from_peer
from services.scoring.convert import cycle_context
from services.scoring.digests import asks_digest

ASK_PAGE = 50_000


@dataclass(frozen=True)
class AskTimes:
    deadline: datetime
    extended: dict[str, datetime]
    times: dict[str, dict[str, datetime]]

    @property
    def sha256(self) -> str:
        return asks_digest(self.deadline, self.extended, self.times)


class Peers:
    def __init__(self, clients: ServiceClients) -> None:
        self._clients = clients
        self._contexts: dict = {}

    async def cycle(self, cycle_code: str):
        """The cycle's frozen catalogue and plan as the rules need them."""
        if not cycle_code:
            raise InvalidArgument.field("cycle_code", "is required")
        cached = self._contexts.get(cycle_code)
        if cached is not None:
            return cached
        try:
            cycle = (
                await self._clients.indicators.GetCycle(
                    ind_pb.GetCycleRequest(cycle_code=cycle_code)
                )
            ).cycle
            catalogue = (
                await self._clients.indicators.GetCatalogue(
                    ind_pb.GetCatalogueRequest(cycle_code=cycle_code)
                )
            ).catalogue
        except grpc.aio.AioRpcError as err:
            raise from_peer("indicators", err) from err
        context = cycle_context(cycle, catalogue)
        self._contexts[cycle_code] = context
        return context

    async def ask_times(self, cycle_code: str) -> AskTimes:
        """Every (unit, canonical key)'s first submission time, the deadline and extensions."""
        times: dict[str, dict[str, datetime]] = {}
        extended: dict[str, datetime] = {}
        deadline: datetime | None = None
        try:
            async for page in pages(
                self._clients.submissions.ListAskTimes,
                sub_pb.ListAskTimesRequest(cycle_code=cycle_code, page_size=ASK_PAGE),
            ):
                if deadline is None:
                    if not page.HasField("cycle_deadline"):
                        raise FailedPrecondition(
                            f"cycle_code: collection of cycle {cycle_code!r} has not been"
                            " opened: no evidence deadline yet",
                            "COLLECTION_NOT_OPEN",
                            metadata={"field": "cycle_code"},
                        )
                    deadline = page.cycle_deadline.ToDatetime(tzinfo=UTC)
                    extended = {
                        e.unit_code: e.deadline.ToDatetime(tzinfo=UTC) for e in page.extended
                    }
                for ask in page.ask_times:
                    times.setdefault(ask.unit_code, {})[ask.evidence_key] = (
                        ask.first_submitted_at.ToDatetime(tzinfo=UTC)
                    )
        except grpc.aio.AioRpcError as err:
            raise from_peer("submissions", err) from err
        return AskTimes(deadline, extended, times)
