"""The catalogue's domain types (pure, immutable, with a canonical dict form for hashing)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from services.common.canonical import canonical_sha256

METHODS = ("ratio", "grade", "checklist", "deduction", "bonus", "veto")
# The parameters each scoring method must have.
METHOD_PARAMETERS: dict[str, tuple[str, ...]] = {
    "ratio": ("target",),
    "grade": ("grades",),
    "checklist": ("items",),
    "deduction": ("deduct_per",),
    "bonus": ("max",),
    "veto": (),
}
UNIT_KINDS = ("township", "department")


@dataclass(frozen=True)
class Evidence:
    key: str
    name: str
    formats: tuple[str, ...]


@dataclass(frozen=True)
class IndicatorDef:
    code: str
    name: str
    points: float
    method: str
    evidence: tuple[str, ...]
    applies_to: tuple[str, ...] = ()  # empty: the special assessment's kinds
    target: float | None = None
    grades: tuple[tuple[str, float], ...] = ()
    items: int | None = None
    deduct_per: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class SpecialAssessmentDoc:
    code: str
    name: str
    owner: str
    applies_to: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    indicators: tuple[IndicatorDef, ...]
    name_en: str = ""
    # Keys this file declares equal (CISO Assistant mappings): (key, equal_key) pairs.
    equivalences: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SpecialAssessmentDoc:
        return cls(
            code=d["code"],
            name=d["name"],
            owner=d["owner"],
            applies_to=tuple(d["applies_to"]),
            evidence=tuple(
                Evidence(e["key"], e["name"], tuple(e["formats"])) for e in d["evidence"]
            ),
            indicators=tuple(
                IndicatorDef(
                    **{
                        **i,
                        "evidence": tuple(i["evidence"]),
                        "applies_to": tuple(i["applies_to"]),
                        "grades": tuple((g, float(s)) for g, s in i["grades"]),
                    }
                )
                for i in d["indicators"]
            ),
            name_en=d.get("name_en", ""),
            equivalences=tuple((a, b) for a, b in d.get("equivalences", ())),
        )

    @property
    def sha256(self) -> str:
        return canonical_sha256(self.to_dict())

    def evidence_by_key(self) -> dict[str, Evidence]:
        return {e.key: e for e in self.evidence}


@dataclass(frozen=True)
class UnitDef:
    code: str
    name: str
    kind: str
    group: str
    contact: str = ""
    head: str = ""


@dataclass(frozen=True)
class Tier:
    name: str
    top_share: float


@dataclass(frozen=True)
class ToleranceCategory:
    code: str
    name: str
    prefiling: bool = False
    never_tolerated: bool = False


@dataclass(frozen=True)
class CyclePlan:
    """A cycle plan as the assessment office wrote it (cycle.yaml + tolerance.yaml)."""

    code: str
    name: str
    timezone: str
    weights: tuple[tuple[str, float], ...]  # (special assessment code, weight), plan order
    opens: str  # ISO 8601 with offset
    evidence_due: str
    collection_closes: str
    review_due: str
    publish: str
    appeal_days: int
    reminders_before_seconds: tuple[int, ...]
    overdue_every_seconds: int
    overdue_max: int
    late_penalty: float
    equivalences: tuple[tuple[str, ...], ...]
    tiers: tuple[Tier, ...]
    veto_tier: str
    tolerance: tuple[ToleranceCategory, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CyclePlan:
        return cls(
            **{
                **d,
                "weights": tuple((c, float(w)) for c, w in d["weights"]),
                "reminders_before_seconds": tuple(d["reminders_before_seconds"]),
                "equivalences": tuple(tuple(g) for g in d["equivalences"]),
                "tiers": tuple(Tier(**t) for t in d["tiers"]),
                "tolerance": tuple(ToleranceCategory(**t) for t in d["tolerance"]),
            }
        )
