"""Proto <-> domain for the scoring service (no I/O, no rules)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from oneassess.indicators.v1 import indicators_service_pb2 as ind_pb
from oneassess.scoring.v1 import scoring_service_pb2 as pb
from services.common.timestamps import timestamp
from services.scoring.claims import ToleranceCategory
from services.scoring.explain import Step
from services.scoring.model import (
    Catalogue,
    CycleRules,
    IndicatorRule,
    SpecialAssessmentRule,
    Tier,
    UnitRef,
)
from services.scoring.numbers import decimal_text, format_e4, parse_fraction, rounded
from services.scoring.scorecards import Scorecard
from services.scoring.tiers import GroupTiers
from services.scoring.weights import Previewed

METHODS = {
    ind_pb.SCORING_METHOD_RATIO: "ratio",
    ind_pb.SCORING_METHOD_GRADE: "grade",
    ind_pb.SCORING_METHOD_CHECKLIST: "checklist",
    ind_pb.SCORING_METHOD_DEDUCTION: "deduction",
    ind_pb.SCORING_METHOD_BONUS: "bonus",
    ind_pb.SCORING_METHOD_VETO: "veto",
}
METHOD_ENUMS = {name: value for value, name in METHODS.items()}


def dec(value: float) -> Decimal:
    """A catalogue number as its author wrote it: the shortest repr of the double (0.98, not
    0.97999...)."""
    return Decimal(repr(float(value)))


@dataclass(frozen=True)
class CycleContext:
    """A folded cycle as the scoring service needs it."""

    catalogue: Catalogue
    rules: CycleRules
    tolerance: dict[str, ToleranceCategory]
    timezone: ZoneInfo
    names: dict[str, str]  # unit code -> name; "sa/indicator" -> indicator name


def cycle_context(cycle: ind_pb.Cycle, catalogue: ind_pb.Catalogue) -> CycleContext:
    indicators = []
    names: dict[str, str] = {u.code: u.name for u in catalogue.units}
    for ci in catalogue.indicators:
        i = ci.indicator
        names[f"{ci.special_assessment_code}/{i.code}"] = i.name
        indicators.append(
            IndicatorRule(
                special_assessment=ci.special_assessment_code,
                code=i.code,
                method=METHODS[i.method],
                points=dec(i.points),
                evidence=tuple(ci.canonical_evidence),
                applies_to=tuple(ci.applies_to),
                target=dec(i.target) if i.HasField("target") else None,
                grades=tuple((g, dec(s)) for g, s in sorted(i.grades.items())),
                items=i.items if i.HasField("items") else None,
                deduct_per=dec(i.deduct_per) if i.HasField("deduct_per") else None,
                max=dec(i.max) if i.HasField("max") else None,
            )
        )
    rules_catalogue = Catalogue(
        cycle_code=catalogue.cycle_code,
        special_assessments=tuple(
            SpecialAssessmentRule(s.code, s.owner, dec(s.weight))
            for s in catalogue.special_assessments
        ),
        indicators=tuple(indicators),
        units=tuple(UnitRef(u.code, u.kind, u.group) for u in catalogue.units),
        sha256=catalogue.sha256,
    )
    rules = CycleRules(
        late_penalty=dec(cycle.late_penalty),
        tiers=tuple(Tier(t.name, dec(t.top_share)) for t in cycle.tiers),
        veto_tier=cycle.veto_tier,
    )
    tolerance = {
        t.code: ToleranceCategory(t.code, t.name, t.prefiling, t.never_tolerated)
        for t in cycle.tolerance
    }
    return CycleContext(rules_catalogue, rules, tolerance, ZoneInfo(cycle.timezone or "UTC"), names)


def rules_to_json(rules: CycleRules) -> dict:
    return {
        "late_penalty": str(rules.late_penalty),
        "tiers": [[t.name, str(t.top_share)] for t in rules.tiers],
        "veto_tier": rules.veto_tier,
    }


def rules_from_json(value: dict) -> CycleRules:
    return CycleRules(
        Decimal(value["late_penalty"]),
        tuple(Tier(n, Decimal(s)) for n, s in value["tiers"]),
        value["veto_tier"],
    )


def run_pb(run) -> pb.ScoreRun:
    return pb.ScoreRun(
        run=run.run,
        cycle_code=run.cycle_code,
        units=run.units,
        inputs_sha256=run.inputs_sha256,
        results_sha256=run.results_sha256,
        computed_at=timestamp(run.computed_at),
        published=run.published_at is not None,
        published_at=timestamp(run.published_at),
        appeal_deadline=timestamp(run.appeal_deadline),
        finalized_at=timestamp(run.finalized_at),
        trigger=run.trigger,
        indicator_scores=run.indicator_scores,
    )


def review_input_pb(shown: dict[str, str]) -> pb.ReviewInput:
    message = pb.ReviewInput()
    for name, text in shown.items():
        if name in ("value", "occurrences", "claimed"):
            setattr(message, name, float(text))
        elif name == "items_met":
            message.items_met = int(text)
        elif name == "failed":
            message.failed = text == "true"
        else:
            message.grade = text
    return message


def review_input_dict(message: pb.ReviewInput) -> dict[str, object]:
    """The fields that were set, as the validation reads them."""
    return {f.name: value for f, value in message.ListFields()}


def review_pb(row) -> pb.Review:
    return pb.Review(
        cycle_code=row.cycle_code,
        unit_code=row.unit_code,
        special_assessment_code=row.sa_code,
        indicator_code=row.indicator_code,
        input=review_input_pb(row.input),
        comment=row.comment,
        revision=row.revision,
        reviewed_by=row.reviewed_by,
        reviewed_at=timestamp(row.reviewed_at),
        source=row.source,
    )


def unit_score_pb(row) -> pb.UnitScore:
    return pb.UnitScore(
        unit_code=row.unit_code,
        group=row.group_code,
        composite=format_e4(row.composite_e4),
        rank=row.rank,
        tier=row.tier,
        vetoed=row.vetoed,
        unreviewed=row.unreviewed,
        composite_display=rounded(parse_fraction(row.composite), 2),
        bonus=rounded(parse_fraction(row.bonus), 4),
        group_size=row.group_size,
    )


def preview_score_pb(row, previewed: Previewed) -> pb.PreviewScore:
    """A stored unit score and the same unit under other weights."""
    current = unit_score_pb(row)
    preview = pb.UnitScore()
    preview.CopyFrom(current)
    preview.composite = format_e4(previewed.composite_e4)
    preview.composite_display = rounded(previewed.composite, 2)
    preview.rank = previewed.standing.rank
    preview.tier = previewed.standing.tier
    preview.group_size = previewed.standing.group_size
    return pb.PreviewScore(
        score=preview,
        current_composite=current.composite,
        current_rank=current.rank,
        current_tier=current.tier,
    )


def group_tiers_pb(groups: Sequence[GroupTiers]) -> list[pb.GroupTiers]:
    return [
        pb.GroupTiers(
            group=g.group,
            size=g.size,
            bands=[
                pb.TierBand(tier=b.tier, cutoff_rank=b.cutoff_rank, units=b.units) for b in g.bands
            ],
        )
        for g in groups
    ]


def scorecard_pb(score, card: Scorecard) -> pb.Scorecard:
    return pb.Scorecard(
        score=unit_score_pb(score),
        special_assessments=[
            pb.SpecialAssessmentScore(
                special_assessment_code=s.code,
                score=format_e4(s.score_e4),
                explanation=explanation_pb(s.step),
            )
            for s in card.special_assessments
        ],
        indicators=[
            pb.IndicatorScore(
                special_assessment_code=i.rule.special_assessment,
                indicator_code=i.rule.code,
                points=decimal_text(i.rule.points),
                score=format_e4(i.score_e4),
                unreviewed=i.review_revision == 0,
                steps=[explanation_pb(s) for s in i.steps],
                method=METHOD_ENUMS[i.rule.method],
                review_revision=i.review_revision,
            )
            for i in card.indicators
        ],
        composite=explanation_pb(card.composite),
        ranking=explanation_pb(card.ranking),
    )


def explanation_pb(step: Step) -> pb.Explanation:
    return pb.Explanation(
        rule=step.rule, inputs=step.inputs, formula=step.formula, result=step.result
    )


DECISION_STATES = {
    None: pb.DECISION_STATE_PENDING,
    True: pb.DECISION_STATE_APPROVED,
    False: pb.DECISION_STATE_REJECTED,
}
STATE_NAMES = {
    pb.DECISION_STATE_PENDING: "pending",
    pb.DECISION_STATE_APPROVED: "approved",
    pb.DECISION_STATE_REJECTED: "rejected",
}


def claim_pb(row) -> pb.Claim:
    return pb.Claim(
        claim_id=row.id,
        cycle_code=row.cycle_code,
        unit_code=row.unit_code,
        category=row.category,
        category_name=row.category_name,
        description=row.description,
        prefiling=row.prefiling,
        act_date=row.act_date.isoformat() if row.act_date else "",
        indicators=[
            pb.ClaimIndicator(
                indicator=ind_pb.IndicatorRef(
                    special_assessment_code=i.key[0], indicator_code=i.key[1]
                ),
                state=DECISION_STATES[i.approved],
                decided_by=i.decided_by,
                decided_at=timestamp(i.decided_at),
                reason=i.reason,
            )
            for i in row.indicators
        ],
        filed_by=row.filed_by,
        filed_at=timestamp(row.filed_at),
    )


APPEAL_STATES = {
    "pending": pb.APPEAL_STATE_PENDING,
    "upheld": pb.APPEAL_STATE_UPHELD,
    "adjusted": pb.APPEAL_STATE_ADJUSTED,
}
APPEAL_STATE_NAMES = {v: k for k, v in APPEAL_STATES.items()}


def appeal_pb(row) -> pb.Appeal:
    return pb.Appeal(
        appeal_id=row.id,
        cycle_code=row.cycle_code,
        unit_code=row.unit_code,
        indicator=ind_pb.IndicatorRef(
            special_assessment_code=row.sa_code, indicator_code=row.indicator_code
        ),
        reason=row.reason,
        state=APPEAL_STATES[row.state],
        filed_by=row.filed_by,
        filed_at=timestamp(row.filed_at),
        score_before=format_e4(row.score_before_e4),
        decided_by=row.decided_by or "",
        decided_at=timestamp(row.decided_at),
        decision_reason=row.decision_reason or "",
        score_after=format_e4(row.score_after_e4) if row.score_after_e4 is not None else "",
        run=row.adjusted_run or 0,
    )


def indicator_ref(ref: ind_pb.IndicatorRef) -> tuple[str, str]:
    return (ref.special_assessment_code.strip(), ref.indicator_code.strip())
