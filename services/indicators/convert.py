"""Domain <-> proto for the indicators service (no I/O, no rules)."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.duration_pb2 import Duration

from oneassess.indicators.v1 import indicators_service_pb2 as pb
from services.common.timestamps import timestamp
from services.indicators.fold import Fold
from services.indicators.model import CyclePlan, IndicatorDef, SpecialAssessmentDoc, UnitDef

METHOD_TO_PB = {
    "ratio": pb.SCORING_METHOD_RATIO,
    "grade": pb.SCORING_METHOD_GRADE,
    "checklist": pb.SCORING_METHOD_CHECKLIST,
    "deduction": pb.SCORING_METHOD_DEDUCTION,
    "bonus": pb.SCORING_METHOD_BONUS,
    "veto": pb.SCORING_METHOD_VETO,
}
PB_TO_METHOD = {v: k for k, v in METHOD_TO_PB.items()}


def duration(seconds: int) -> Duration:
    return Duration(seconds=seconds)


def indicator_pb(ind: IndicatorDef) -> pb.Indicator:
    message = pb.Indicator(
        code=ind.code,
        name=ind.name,
        points=ind.points,
        method=METHOD_TO_PB[ind.method],
        grades=dict(ind.grades),
        applies_to=list(ind.applies_to),
        evidence=list(ind.evidence),
    )
    if ind.target is not None:
        message.target = ind.target
    if ind.items is not None:
        message.items = ind.items
    if ind.deduct_per is not None:
        message.deduct_per = ind.deduct_per
    if ind.max is not None:
        message.max = ind.max
    return message


def special_assessment_pb(
    doc: SpecialAssessmentDoc,
    *,
    version: int,
    sha256: str,
    imported_at: datetime | None,
    imported_by: str,
) -> pb.SpecialAssessment:
    return pb.SpecialAssessment(
        code=doc.code,
        version=version,
        name=doc.name,
        name_en=doc.name_en,
        owner=doc.owner,
        applies_to=list(doc.applies_to),
        evidence=[
            pb.EvidenceRequirement(key=e.key, name=e.name, formats=list(e.formats))
            for e in doc.evidence
        ],
        indicators=[indicator_pb(i) for i in doc.indicators],
        sha256=sha256,
        imported_at=timestamp(imported_at),
        imported_by=imported_by,
        equivalences=[pb.EvidenceEquivalence(key=a, equal_key=b) for a, b in doc.equivalences],
    )


def unit_pb(unit: UnitDef) -> pb.Unit:
    return pb.Unit(
        code=unit.code,
        name=unit.name,
        kind=unit.kind,
        group=unit.group,
        contact=unit.contact,
        head=unit.head,
    )


def cycle_pb(
    plan: CyclePlan,
    *,
    state: str,
    created_at: datetime | None,
    folded_at: datetime | None,
    versions: list[tuple[str, int, float, str]],
    catalogue_sha256: str,
) -> pb.Cycle:
    return pb.Cycle(
        code=plan.code,
        name=plan.name,
        timezone=plan.timezone,
        state=pb.CYCLE_STATE_FOLDED if state == "folded" else pb.CYCLE_STATE_CREATED,
        weights=dict(plan.weights),
        calendar=pb.Calendar(
            opens=timestamp(plan.opens),
            evidence_due=timestamp(plan.evidence_due),
            collection_closes=timestamp(plan.collection_closes),
            review_due=timestamp(plan.review_due),
            publish=timestamp(plan.publish),
            appeal_days=plan.appeal_days,
        ),
        reminders=pb.Reminders(
            before=[duration(s) for s in plan.reminders_before_seconds],
            overdue_every=duration(plan.overdue_every_seconds),
            overdue_max=plan.overdue_max,
        ),
        late_penalty=plan.late_penalty,
        equivalences=[pb.EquivalenceGroup(keys=list(g)) for g in plan.equivalences],
        tiers=[pb.Tier(name=t.name, top_share=t.top_share) for t in plan.tiers],
        veto_tier=plan.veto_tier,
        tolerance=[
            pb.ToleranceCategory(
                code=t.code, name=t.name, prefiling=t.prefiling, never_tolerated=t.never_tolerated
            )
            for t in plan.tolerance
        ],
        folded_versions=[
            pb.FoldedVersion(code=c, version=v, weight=w, sha256=s) for c, v, w, s in versions
        ],
        created_at=timestamp(created_at),
        folded_at=timestamp(folded_at),
        catalogue_sha256=catalogue_sha256,
    )


def catalogue_pb(
    plan: CyclePlan, docs: list[tuple[SpecialAssessmentDoc, int]], result: Fold, sha256: str
) -> pb.Catalogue:
    weights = dict(plan.weights)
    by_code = {doc.code: doc for doc, _ in docs}
    indicator_defs = {(doc.code, ind.code): ind for doc, _ in docs for ind in doc.indicators}
    return pb.Catalogue(
        cycle_code=plan.code,
        special_assessments=[
            pb.CatalogueSpecialAssessment(
                code=doc.code,
                version=version,
                name=doc.name,
                owner=doc.owner,
                weight=weights[doc.code],
                applies_to=list(doc.applies_to),
            )
            for doc, version in sorted(docs, key=lambda d: d[0].code)
        ],
        indicators=[
            pb.CatalogueIndicator(
                special_assessment_code=fi.special_assessment,
                indicator=indicator_pb(indicator_defs[(fi.special_assessment, fi.code)]),
                canonical_evidence=list(fi.canonical_evidence),
                applies_to=list(fi.applies_to),
            )
            for fi in result.indicators
            if fi.special_assessment in by_code
        ],
        key_mappings=[
            pb.KeyMapping(key=k, canonical_key=c) for k, c in sorted(result.canonical.items())
        ],
        asks_by_kind=[
            pb.KindAsks(
                kind=kind,
                asks=[
                    pb.Ask(
                        evidence_key=a.evidence_key,
                        name=a.name,
                        formats=list(a.formats),
                        serves=[
                            pb.IndicatorRef(special_assessment_code=s, indicator_code=i)
                            for s, i in a.serves
                        ],
                        aliases=list(a.aliases),
                    )
                    for a in asks
                ],
            )
            for kind, asks in sorted(result.asks_by_kind.items())
        ],
        units=[unit_pb(u) for u in result.units],
        sha256=sha256,
    )


def burden_pb(cycle_code: str, result) -> pb.BurdenReport:
    by_kind = [
        pb.KindBurden(
            kind=b.kind,
            units=b.units,
            asks_before=b.asks_before,
            asks_after=b.asks_after,
            reduction_percent=b.reduction_percent,
        )
        for _, b in sorted(result.burden.items())
    ]
    units = [
        pb.UnitBurden(
            unit_code=u.code,
            kind=u.kind,
            group=u.group,
            asks_before=result.burden[u.kind].asks_before,
            asks_after=result.burden[u.kind].asks_after,
            reduction_percent=result.burden[u.kind].reduction_percent,
        )
        for u in result.units
    ]
    reach = [
        pb.AskReach(
            kind=kind,
            evidence_key=a.evidence_key,
            indicators=len(a.serves),
            special_assessments=len({s for s, _ in a.serves}),
        )
        for kind, asks in sorted(result.asks_by_kind.items())
        for a in asks
    ]
    return pb.BurdenReport(cycle_code=cycle_code, by_kind=by_kind, units=units, asks=reach)
