"""Ranks and tiers within a peer group (pure).

Equal 4-decimal composites share a competition rank (1, 2, 2, 4); a tier holds the ranks up
to ceil(top_share x group size), computed exactly; a failed veto forces the veto tier.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from services.scoring.model import CycleRules, Standing, Tier


def tier_cutoffs(group_size: int, tiers: Sequence[Tier]) -> list[tuple[str, int]]:
    """(tier, worst rank in it): top_share x group size, rounded up (exactly: 0.3 x 10 = 3)."""
    cutoffs = []
    for tier in tiers:
        share = Fraction(tier.top_share)
        cutoffs.append((tier.name, -(-share.numerator * group_size // share.denominator)))
    return cutoffs


def tier_for(rank: int, group_size: int, rules: CycleRules, vetoed: bool) -> str:
    if vetoed:
        return rules.veto_tier
    for name, cutoff in tier_cutoffs(group_size, rules.tiers):
        if cutoff >= rank:
            return name
    return rules.tiers[-1].name if rules.tiers else ""


def competition_ranks(composites_e4: Sequence[int]) -> list[int]:
    """Ranks of composites (descending); equal ones share a rank: 1, 2, 2, 4."""
    order = sorted(range(len(composites_e4)), key=lambda i: -composites_e4[i])
    ranks = [0] * len(composites_e4)
    for place, i in enumerate(order, start=1):
        if place > 1 and composites_e4[i] == composites_e4[order[place - 2]]:
            ranks[i] = ranks[order[place - 2]]
        else:
            ranks[i] = place
    return ranks


def rank_units(
    entries: Sequence[tuple[str, str, int, bool]], rules: CycleRules
) -> dict[str, Standing]:
    """(unit, group, composite_e4, vetoed) -> each unit's rank, group size and tier."""
    groups: dict[str, list[tuple[str, int, bool]]] = {}
    for unit, group, composite_e4, vetoed in entries:
        groups.setdefault(group, []).append((unit, composite_e4, vetoed))
    standings: dict[str, Standing] = {}
    for members in groups.values():
        ranks = competition_ranks([c for _, c, _ in members])
        size = len(members)
        for (unit, _, vetoed), rank in zip(members, ranks, strict=True):
            standings[unit] = Standing(rank, size, tier_for(rank, size, rules, vetoed))
    return standings


@dataclass(frozen=True, slots=True)
class Band:
    """One tier of one peer group: the worst rank it covers and how many units hold it."""

    tier: str
    cutoff_rank: int
    units: int


@dataclass(frozen=True, slots=True)
class GroupTiers:
    group: str
    size: int
    bands: tuple[Band, ...]  # best first, then the veto tier when it is not one of them


def group_tiers(counts: Iterable[tuple[str, int, str, int]], rules: CycleRules) -> list[GroupTiers]:
    """(group, group size, tier, units holding it) -> each group's bands, groups in the order
    they come."""
    groups: dict[str, tuple[int, dict[str, int]]] = {}
    for group, size, tier, units in counts:
        groups.setdefault(group, (size, {}))[1][tier] = units
    names = {t.name for t in rules.tiers}
    out = []
    for group, (size, held) in groups.items():
        bands = [
            Band(name, cutoff, held.get(name, 0))
            for name, cutoff in tier_cutoffs(size, rules.tiers)
        ]
        if rules.veto_tier not in names:
            bands.append(Band(rules.veto_tier, 0, held.get(rules.veto_tier, 0)))
        out.append(GroupTiers(group, size, tuple(bands)))
    return out
