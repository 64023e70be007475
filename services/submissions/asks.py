"""Which asks exist: an index over a cycle's folded catalogue (from the indicators service).

A folded catalogue never changes, so each cycle's index is built once and cached. Any alias
of an evidence key folds to its canonical key.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from services.common.auth import Principal, Role
from services.common.errors import NotFound, PermissionDenied
from services.submissions import formats


@dataclass(frozen=True)
class Ask:
    """One canonical evidence key a unit kind must submit."""

    evidence_key: str
    name: str
    formats: tuple[str, ...]
    departments: frozenset[str]  # line departments whose indicators it serves


@dataclass(frozen=True)
class AskIndex:
    cycle_code: str
    canonical: dict[str, str]  # any key (alias or canonical) -> canonical key
    unit_kinds: dict[str, str]  # unit code -> kind
    asks_by_kind: dict[str, dict[str, Ask]]  # kind -> canonical key -> ask

    @classmethod
    def from_catalogue(cls, catalogue) -> AskIndex:
        owners = {sa.code: sa.owner for sa in catalogue.special_assessments}
        asks_by_kind = {
            group.kind: {
                ask.evidence_key: Ask(
                    evidence_key=ask.evidence_key,
                    name=ask.name,
                    formats=tuple(_known_formats(ask.formats)),
                    departments=frozenset(
                        owners[ref.special_assessment_code]
                        for ref in ask.serves
                        if ref.special_assessment_code in owners
                    ),
                )
                for ask in group.asks
            }
            for group in catalogue.asks_by_kind
        }
        canonical = {m.key: m.canonical_key for m in catalogue.key_mappings}
        for asks in asks_by_kind.values():
            canonical.update({key: key for key in asks})
        return cls(
            cycle_code=catalogue.cycle_code,
            canonical=canonical,
            unit_kinds={u.code: u.kind for u in catalogue.units},
            asks_by_kind=asks_by_kind,
        )

    def asks_of(self, unit_code: str) -> dict[str, Ask]:
        kind = self.unit_kinds.get(unit_code)
        if kind is None:
            raise NotFound(
                f"unit_code: unit {unit_code!r} is not assessed in cycle {self.cycle_code!r}",
                "UNIT_NOT_IN_CYCLE",
                metadata={"field": "unit_code"},
            )
        return self.asks_by_kind.get(kind, {})

    def ask(self, unit_code: str, evidence_key: str) -> Ask:
        """The unit's ask for a key or any of its aliases."""
        asks = self.asks_of(unit_code)
        found = asks.get(self.canonical.get(evidence_key, evidence_key))
        if found is None:
            raise NotFound(
                f"evidence_key: {evidence_key!r} is not an ask of unit {unit_code!r} in cycle "
                f"{self.cycle_code!r}",
                "ASK_NOT_FOUND",
                metadata={"field": "evidence_key"},
            )
        return found

    def keys_of_department(self, department: str) -> frozenset[str]:
        return frozenset(
            key
            for asks in self.asks_by_kind.values()
            for key, ask in asks.items()
            if department in ask.departments
        )

    def serves_department(self, unit_code: str, evidence_key: str, department: str) -> bool:
        """Whether this unit's ask serves an indicator of the department (by the unit's kind)."""
        ask = self.asks_of(unit_code).get(self.canonical.get(evidence_key, evidence_key))
        return ask is not None and department in ask.departments

    def require_readable(self, caller: Principal, unit_code: str, evidence_key: str) -> None:
        """A unit reads its own evidence; an assessor the evidence its own indicators need."""
        caller.require_unit(unit_code)
        if caller.role is Role.ASSESSOR and not self.serves_department(
            unit_code, evidence_key, caller.department
        ):
            raise PermissionDenied(
                f"evidence_key: {evidence_key!r} serves no indicator of line department "
                f"{caller.department!r}",
                "OTHER_DEPARTMENT",
                metadata={"field": "evidence_key"},
            )


def _known_formats(names) -> list[str]:
    known = []
    for name in names:
        normal = formats.ALIASES.get(name.lower(), name.lower())
        if normal in formats.FORMATS and normal not in known:
            known.append(normal)
    return known


class AskCatalogues:
    """Per-cycle AskIndex cache in front of a fetch of the folded catalogue."""

    def __init__(self, fetch: Callable[[str], Awaitable[object]]) -> None:
        self._fetch = fetch
        self._indexes: dict[str, AskIndex] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def index(self, cycle_code: str) -> AskIndex:
        cached = self._indexes.get(cycle_code)
        if cached is not None:
            return cached
        async with self._locks.setdefault(cycle_code, asyncio.Lock()):
            if cycle_code not in self._indexes:
                self._indexes[cycle_code] = AskIndex.from_catalogue(await self._fetch(cycle_code))
            return self._indexes[cycle_code]
