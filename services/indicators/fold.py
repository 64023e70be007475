"""The fold (合并): special assessments + equivalences + units -> one frozen catalogue (pure).

- Canonical keys: the plan's equivalence groups and the files' declared equivalences are
  merged transitively (union-find); a component's canonical key is the first key of the
  earliest plan group in it, else its smallest key. Independent of import order. A file's
  declared pair counts only when both keys are declared by folded files (a CISO Assistant
  mapping may point at a framework the cycle does not fold).
- Asks depend only on a unit's kind: for each kind, the canonical keys needed by at least
  one indicator that applies to the kind, each with every indicator it serves.
- Burden: asks per unit before folding (each special assessment counted on its own) and
  after.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from services.common.canonical import canonical_sha256
from services.common.errors import FailedPrecondition, Violation
from services.indicators.model import CyclePlan, SpecialAssessmentDoc, UnitDef


@dataclass(frozen=True)
class FoldedIndicator:
    special_assessment: str
    code: str
    applies_to: tuple[str, ...]
    canonical_evidence: tuple[str, ...]


@dataclass(frozen=True)
class FoldedAsk:
    evidence_key: str
    name: str
    formats: tuple[str, ...]
    serves: tuple[tuple[str, str], ...]  # (special assessment, indicator), sorted
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class KindBurden:
    kind: str
    units: int
    asks_before: int
    asks_after: int

    @property
    def reduction_percent(self) -> float:
        if not self.asks_before:
            return 0.0
        return round((self.asks_before - self.asks_after) * 100.0 / self.asks_before, 1)


@dataclass(frozen=True)
class Fold:
    canonical: dict[str, str]
    indicators: tuple[FoldedIndicator, ...]
    asks_by_kind: dict[str, tuple[FoldedAsk, ...]]
    burden: dict[str, KindBurden]
    units: tuple[UnitDef, ...]

    def asks_for(self, kind: str) -> tuple[FoldedAsk, ...]:
        return self.asks_by_kind.get(kind, ())


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        self.parent.setdefault(key, key)
        root = key
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[key] != root:  # path compression
            self.parent[key], key = root, self.parent[key]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def canonical_keys(
    all_keys: Iterable[str],
    plan_groups: Sequence[Sequence[str]],
    declared: Iterable[tuple[str, str]],
) -> dict[str, str]:
    """Every key -> its canonical key (transitive over plan groups and declared pairs)."""
    uf = _UnionFind()
    for key in all_keys:
        uf.find(key)
    for group in plan_groups:
        for other in group[1:]:
            uf.union(group[0], other)
    for a, b in declared:
        uf.union(a, b)
    # Canonical: first key of the earliest plan group in the component, else the component's root
    # (its smallest key, since union keeps the smaller root).
    preferred: dict[str, str] = {}
    for group in plan_groups:
        preferred.setdefault(uf.find(group[0]), group[0])
    return {key: preferred.get(uf.find(key), uf.find(key)) for key in sorted(uf.parent)}


def check_equivalences(
    plan: CyclePlan,
    docs: Sequence[SpecialAssessmentDoc],
    locate: Callable[[tuple], str] | None = None,
) -> list[Violation]:
    """Every key of the plan's equivalence groups must be declared by some folded file.

    `locate(path)` names where a plan value sits (file:line) when the plan file is at hand.
    """
    declared = {e.key for doc in docs for e in doc.evidence}
    problems = []
    for i, group in enumerate(plan.equivalences):
        for j, key in enumerate(group):
            if key not in declared:
                problems.append(
                    Violation(
                        f"equivalences[{i}]",
                        f"evidence key {key!r} is not declared by any folded special assessment",
                        locate(("equivalences", i, j)) if locate else "",
                    )
                )
    return problems


def check_unit_kinds(
    docs: Sequence[SpecialAssessmentDoc], units: Sequence[UnitDef]
) -> list[Violation]:
    """Every unit's kind must be one some folded special assessment applies to (catches typos)."""
    served = {kind for doc in docs for kind in doc.applies_to}
    problems = []
    for kind in sorted({u.kind for u in units} - served):
        codes = sorted(u.code for u in units if u.kind == kind)
        shown = ", ".join(codes[:5]) + (f" and {len(codes) - 5} more" if len(codes) > 5 else "")
        problems.append(
            Violation(
                "units.kind",
                f"unit kind {kind!r} ({shown}) is not one any folded special assessment applies to "
                f"({', '.join(sorted(served))}); fix the unit list or the special assessments' "
                "applies_to",
            )
        )
    return problems


def fold(plan: CyclePlan, docs: Sequence[SpecialAssessmentDoc], units: Sequence[UnitDef]) -> Fold:
    by_code = {doc.code: doc for doc in docs}
    missing = [code for code, _ in plan.weights if code not in by_code]
    if missing:
        raise FailedPrecondition(
            f"special_assessments: not imported: {', '.join(missing)}", "SPECIAL_ASSESSMENT_MISSING"
        )
    ordered = [by_code[code] for code, _ in sorted(plan.weights)]
    declared = {e.key for doc in ordered for e in doc.evidence}
    canonical = canonical_keys(
        declared,
        plan.equivalences,
        (
            pair
            for doc in ordered
            for pair in doc.equivalences
            if pair[0] in declared and pair[1] in declared
        ),
    )

    indicators: list[FoldedIndicator] = []
    for doc in ordered:
        for ind in doc.indicators:
            indicators.append(
                FoldedIndicator(
                    special_assessment=doc.code,
                    code=ind.code,
                    applies_to=tuple(
                        k for k in (ind.applies_to or doc.applies_to) if k in doc.applies_to
                    ),
                    canonical_evidence=tuple(dict.fromkeys(canonical[k] for k in ind.evidence)),
                )
            )

    kinds = sorted({u.kind for u in units} | {k for doc in ordered for k in doc.applies_to})
    asks_by_kind: dict[str, tuple[FoldedAsk, ...]] = {}
    burden: dict[str, KindBurden] = {}
    documents = _documents(ordered, canonical)
    for kind in kinds:
        asks_by_kind[kind] = _asks(kind, indicators, documents)
        before = sum(len(_raw_keys_needed(doc, kind)) for doc in ordered)
        burden[kind] = KindBurden(
            kind, sum(1 for u in units if u.kind == kind), before, len(asks_by_kind[kind])
        )
    return Fold(
        canonical,
        tuple(indicators),
        asks_by_kind,
        burden,
        tuple(sorted(units, key=lambda u: u.code)),
    )


def _raw_keys_needed(doc: SpecialAssessmentDoc, kind: str) -> set[str]:
    """What one special assessment asks a unit of this kind today, on its own."""
    if kind not in doc.applies_to:
        return set()
    return {
        key
        for ind in doc.indicators
        if kind in (ind.applies_to or doc.applies_to)
        for key in ind.evidence
    }


@dataclass(frozen=True)
class _Document:
    """What one canonical key stands for: its name, formats and the keys folded into it."""

    name: str
    formats: tuple[str, ...]
    aliases: tuple[str, ...]


def _documents(
    docs: Sequence[SpecialAssessmentDoc], canonical: dict[str, str]
) -> dict[str, _Document]:
    """Name: the canonical key's own declaration in the first file (by code) declaring it, else
    the first alias declaration; formats: accepted by every declaration, else by any (a
    declaration listing none accepts any format and does not narrow the others)."""
    declarations: dict[str, list] = {}
    for doc in docs:  # sorted by code
        for evidence in doc.evidence:
            declarations.setdefault(canonical[evidence.key], []).append(evidence)
    aliases: dict[str, list[str]] = {}
    for key, target in canonical.items():
        aliases.setdefault(target, []).append(key)
    result = {}
    for key, found in declarations.items():
        name = next((d.name for d in found if d.key == key), found[0].name)
        format_sets = [set(d.formats) for d in found if d.formats]  # none listed: any format
        formats = (
            set.intersection(*format_sets) or set.union(*format_sets) if format_sets else set()
        )
        result[key] = _Document(name, tuple(sorted(formats)), tuple(sorted(aliases[key])))
    return result


def _asks(
    kind: str, indicators: Sequence[FoldedIndicator], documents: dict[str, _Document]
) -> tuple[FoldedAsk, ...]:
    serves: dict[str, list[tuple[str, str]]] = {}
    for ind in indicators:
        if kind in ind.applies_to:
            for key in ind.canonical_evidence:
                serves.setdefault(key, []).append((ind.special_assessment, ind.code))
    return tuple(
        FoldedAsk(
            key,
            documents[key].name,
            documents[key].formats,
            tuple(sorted(serves[key])),
            documents[key].aliases,
        )
        for key in sorted(serves)
    )


def catalogue_hash(plan: CyclePlan, docs: Sequence[SpecialAssessmentDoc], result: Fold) -> str:
    return canonical_sha256(
        {
            "plan": plan.to_dict(),
            "versions": sorted(doc.sha256 for doc in docs),
            "canonical": result.canonical,
            "asks": {
                kind: [[a.evidence_key, list(a.serves)] for a in asks]
                for kind, asks in result.asks_by_kind.items()
            },
            "units": [[u.code, u.kind, u.group] for u in result.units],
        }
    )
