"""The portal's gRPC clients: one channel per service for the whole process, the signed-in
person's token put on each call from a contextvar the request sets. Never a database, never
Temporal: only the services' RPCs, which authorise every call themselves."""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass, field

from oneassess.client.channels import ServiceClients
from oneassess.client.paging import all_pages
from oneassess.config import Settings
from oneassess.indicators.v1 import indicators_service_pb2 as ipb

current_token: ContextVar[str] = ContextVar("portal_token", default="")
# Whose view of the catalogue the request sees (role and scope): the services may answer a
# unit with less than the office, so a cached answer is only ever reused for the same scope.
current_scope: ContextVar[str] = ContextVar("portal_scope", default="")


def clients_for(settings: Settings) -> ServiceClients:
    return ServiceClients.from_settings(settings, lambda: current_token.get())


@dataclass
class Names:
    """Display names of a folded cycle's catalogue (frozen once folded, so cached)."""

    cycle: ipb.Cycle
    catalogue: ipb.Catalogue
    units: dict[str, ipb.Unit] = field(default_factory=dict)
    special_assessments: dict[str, ipb.CatalogueSpecialAssessment] = field(default_factory=dict)
    indicators: dict[tuple[str, str], ipb.CatalogueIndicator] = field(default_factory=dict)
    evidence_names: dict[str, str] = field(default_factory=dict)
    fetched: float = 0.0
    burden: ipb.BurdenReport | None = None

    def unit_name(self, code: str) -> str:
        unit = self.units.get(code)
        return unit.name if unit else code

    def sa_name(self, code: str) -> str:
        sa = self.special_assessments.get(code)
        return sa.name if sa else code

    def indicator_name(self, sa: str, code: str) -> str:
        ind = self.indicators.get((sa, code))
        return ind.indicator.name if ind else code

    def evidence_name(self, key: str) -> str:
        return self.evidence_names.get(key, key)


class Catalogues:
    """The catalogue of a cycle as the caller's role and scope see it, kept a short while."""

    TTL_SECONDS = 30.0

    def __init__(self, clients: ServiceClients) -> None:
        self._clients = clients
        self._cache: dict[tuple[str, str], Names] = {}

    async def names(self, cycle_code: str) -> Names:
        key = (cycle_code, current_scope.get())
        cached = self._cache.get(key)
        if cached and time.monotonic() - cached.fetched < self.TTL_SECONDS:
            return cached
        cycle = (
            await self._clients.indicators.GetCycle(ipb.GetCycleRequest(cycle_code=cycle_code))
        ).cycle
        catalogue = (
            await self._clients.indicators.GetCatalogue(
                ipb.GetCatalogueRequest(cycle_code=cycle_code)
            )
        ).catalogue
        names = Names(cycle=cycle, catalogue=catalogue, fetched=time.monotonic())
        names.units = {u.code: u for u in catalogue.units}
        names.special_assessments = {s.code: s for s in catalogue.special_assessments}
        names.indicators = {
            (i.special_assessment_code, i.indicator.code): i for i in catalogue.indicators
        }
        for kind in catalogue.asks_by_kind:
            for ask in kind.asks:
                names.evidence_names.setdefault(ask.evidence_key, ask.name)
        self._cache[key] = names
        return names


async def burden_of(clients: ServiceClients, names: Names) -> ipb.BurdenReport:
    """The burden report of a folded cycle (fixed by its catalogue): fetched once per cache."""
    if names.burden is None:
        reply = await clients.indicators.GetBurdenReport(
            ipb.GetBurdenReportRequest(cycle_code=names.cycle.code)
        )
        names.burden = reply.report
    return names.burden


async def every(call, request, field_name: str) -> list:
    return await all_pages(call, request, field_name)
