"""The pure fold: the sample city's figures, and properties over generated catalogues."""

from __future__ import annotations

import random
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.indicators.fold import (
    canonical_keys,
    catalogue_hash,
    check_equivalences,
    check_unit_kinds,
    fold,
)
from services.indicators.formats import read_special_assessment, read_units
from services.indicators.model import (
    CyclePlan,
    Evidence,
    IndicatorDef,
    SpecialAssessmentDoc,
    UnitDef,
)
from services.indicators.plan import parse_plan
from tests.conftest import EXAMPLE


def sample() -> tuple[CyclePlan, list[SpecialAssessmentDoc], list[UnitDef]]:
    docs = [
        read_special_assessment(p.name, p.read_bytes())
        for p in sorted((EXAMPLE / "special-assessments").glob("*.yaml"))
    ]
    units = read_units("units.yaml", (EXAMPLE / "units.yaml").read_bytes())
    plan = parse_plan(
        (EXAMPLE / "cycle.yaml").read_bytes(),
        "cycle.yaml",
        (EXAMPLE / "tolerance.yaml").read_bytes(),
        "tolerance.yaml",
    )
    return plan, docs, units


def test_sample_city_burden():
    plan, docs, units = sample()
    result = fold(plan, docs, units)
    assert {k: (b.units, b.asks_before, b.asks_after) for k, b in result.burden.items()} == {
        "township": (12, 51, 21),
        "department": (12, 53, 23),
    }
    assert result.burden["township"].reduction_percent == 58.8
    assert result.canonical["flood-drill-records"] == "emergency-drill-records"
    assert check_equivalences(plan, docs) == []
    assert check_unit_kinds(docs, units) == []


def test_plan_equivalence_key_nobody_declares_is_reported():
    plan, docs, _ = sample()
    plan = replace(plan, equivalences=(*plan.equivalences, ("annual-work-plan", "yearly-plan")))
    [problem] = check_equivalences(plan, docs)
    assert (problem.field, problem.reason) == (
        "equivalences[4]",
        "evidence key 'yearly-plan' is not declared by any folded special assessment",
    )


def test_unit_kind_no_special_assessment_applies_to_is_reported():
    _, docs, units = sample()
    units = [*units, UnitDef("port", "港务集团", "enterprise", "soe")]
    [problem] = check_unit_kinds(docs, units)
    assert problem.field == "units.kind"
    assert problem.reason.startswith(
        "unit kind 'enterprise' (port) is not one any folded special assessment applies to"
    )


def test_file_declared_pair_counts_only_when_both_keys_are_folded():
    plan, docs, units = sample()
    ecology = next(d for d in docs if d.code == "ecology")
    docs = [
        d
        if d is not ecology
        else replace(d, equivalences=(("ecology-work-summary", "other-framework.1"),))
        for d in docs
    ]
    result = fold(plan, docs, units)
    assert "other-framework.1" not in result.canonical
    assert result.burden["township"].asks_after == 21


def test_canonical_key_prefers_the_plan_groups_first_key():
    canonical = canonical_keys(["b", "a", "c", "z"], [["c", "b"]], [("a", "b")])
    assert canonical == {"a": "c", "b": "c", "c": "c", "z": "z"}


# -- properties ---------------------------------------------------------------------------------

KINDS = ("township", "department", "enterprise")
KEYS = [f"k{i:02d}" for i in range(14)]


@st.composite
def catalogues(draw):
    n_docs = draw(st.integers(1, 5))
    docs = []
    for d in range(n_docs):
        applies = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=3, unique=True))
        keys = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=6, unique=True))
        indicators = []
        for i in range(draw(st.integers(1, 5))):
            needs = draw(st.lists(st.sampled_from(keys), max_size=3, unique=True))
            only = draw(
                st.one_of(
                    st.just(()),
                    st.lists(st.sampled_from(applies), min_size=1, unique=True).map(tuple),
                )
            )
            indicators.append(
                IndicatorDef(
                    f"i{i}", f"indicator {i}", 1.0, "checklist", tuple(needs), only, items=1
                )
            )
        pairs = draw(st.lists(st.tuples(st.sampled_from(keys), st.sampled_from(KEYS)), max_size=2))
        docs.append(
            SpecialAssessmentDoc(
                code=f"sa-{d}",
                name=f"special assessment {d}",
                owner=f"dept-{d}",
                applies_to=tuple(applies),
                evidence=tuple(
                    Evidence(
                        k, f"doc {k} of sa-{d}", ("pdf",) if (d + len(k)) % 2 else ("pdf", "docx")
                    )
                    for k in keys
                ),
                indicators=tuple(indicators),
                equivalences=tuple(pairs),
            )
        )
    declared = sorted({e.key for doc in docs for e in doc.evidence})
    groups = []
    if len(declared) >= 2:
        groups = draw(
            st.lists(
                st.lists(st.sampled_from(declared), min_size=2, max_size=3, unique=True), max_size=3
            )
        )
    units = [
        UnitDef(f"u{i:03d}", f"unit {i}", kind, f"g-{kind}")
        for i, kind in enumerate(draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=12)))
    ]
    plan = CyclePlan(
        code="c",
        name="c",
        timezone="Asia/Shanghai",
        weights=tuple((doc.code, 100 / n_docs) for doc in docs),
        opens="2026-11-01T09:00:00+08:00",
        evidence_due="2026-12-31T18:00:00+08:00",
        collection_closes="2027-01-08T18:00:00+08:00",
        review_due="2027-01-20T18:00:00+08:00",
        publish="2027-01-25T09:00:00+08:00",
        appeal_days=7,
        reminders_before_seconds=(86400,),
        overdue_every_seconds=86400,
        overdue_max=1,
        late_penalty=0.1,
        equivalences=tuple(tuple(g) for g in groups),
        tiers=(),
        veto_tier="x",
    )
    return plan, docs, units


PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(catalogues(), st.randoms(use_true_random=False))
def test_fold_is_deterministic_and_independent_of_import_order(catalogue, rng: random.Random):
    plan, docs, units = catalogue
    first = fold(plan, docs, units)
    shuffled_docs, shuffled_units = list(docs), list(units)
    rng.shuffle(shuffled_docs)
    rng.shuffle(shuffled_units)
    second = fold(plan, shuffled_docs, shuffled_units)
    assert second == first
    assert catalogue_hash(plan, shuffled_docs, second) == catalogue_hash(plan, docs, first)


@PROPERTY
@given(catalogues())
def test_asks_after_never_exceed_asks_before(catalogue):
    plan, docs, units = catalogue
    for burden in fold(plan, docs, units).burden.values():
        assert burden.asks_after <= burden.asks_before
        assert 0 <= burden.reduction_percent <= 100


@PROPERTY
@given(catalogues())
def test_every_indicators_evidence_is_reachable_through_the_asks(catalogue):
    plan, docs, units = catalogue
    result = fold(plan, docs, units)
    for doc in docs:
        for ind in doc.indicators:
            for kind in ind.applies_to or doc.applies_to:
                asks = {a.evidence_key: a for a in result.asks_for(kind)}
                for key in ind.evidence:
                    ask = asks[result.canonical[key]]
                    assert (doc.code, ind.code) in ask.serves
                    assert key in ask.aliases
    # ...and no ask serves an indicator that does not apply to the kind.
    applies = {
        (d.code, i.code): set(i.applies_to or d.applies_to) for d in docs for i in d.indicators
    }
    for kind, asks in result.asks_by_kind.items():
        for ask in asks:
            assert ask.serves and all(kind in applies[ref] for ref in ask.serves)


def _components(keys, edges):
    """Connected components by plain graph search, independent of the union-find under test."""
    neighbours = {k: set() for k in keys}
    for a, b in edges:
        neighbours[a].add(b)
        neighbours[b].add(a)
    component, label = {}, 0
    for start in sorted(neighbours):
        if start in component:
            continue
        stack = [start]
        while stack:
            key = stack.pop()
            if key not in component:
                component[key] = label
                stack.extend(neighbours[key])
        label += 1
    return component


@PROPERTY
@given(catalogues())
def test_equivalence_is_transitive_and_merges_nothing_else(catalogue):
    plan, docs, units = catalogue
    result = fold(plan, docs, units)
    declared = {e.key for doc in docs for e in doc.evidence}
    edges = [(g[0], k) for g in plan.equivalences for k in g[1:]]
    edges += [
        (a, b) for doc in docs for a, b in doc.equivalences if a in declared and b in declared
    ]
    component = _components(declared, edges)
    for a in declared:
        assert result.canonical[a] in declared
        assert (
            component[result.canonical[a]] == component[a]
        )  # canonical key is a member of its group
        for b in declared:
            assert (result.canonical[a] == result.canonical[b]) == (component[a] == component[b])
