"""How each number came about, in words and numbers (pure): the scorecard's explanations.

Rendered from what a run stored (the method's score, the adjustment, the scores), the
catalogue's parameters and the review scored, so an explanation always shows the numbers
that were actually used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from services.scoring.model import Adjustment, CycleRules, IndicatorRule, Judgement
from services.scoring.numbers import decimal_text, format_e4
from services.scoring.reviews import shown_value
from services.scoring.tiers import tier_cutoffs


@dataclass(frozen=True)
class Step:
    rule: str
    inputs: dict[str, str] = field(default_factory=dict)
    formula: str = ""
    result: str = ""


def _n(value_e4: int) -> str:
    """A 4-decimal score without trailing zeros, for formulas: 2.2500 -> 2.25."""
    return decimal_text(Decimal(value_e4).scaleb(-4))


def indicator_steps(
    rule: IndicatorRule,
    judgement: Judgement | None,
    *,
    base_e4: int,
    score_e4: int,
    adjustment: Adjustment | None,
    rules: CycleRules,
) -> list[Step]:
    steps = [_method_step(rule, judgement, base_e4, rules.veto_tier)]
    if adjustment is None:
        return steps
    points = decimal_text(rule.points)
    after_late = base_e4 - adjustment.lateness_e4
    if adjustment.missing:
        keys = ", ".join(adjustment.missing)
        steps.append(
            Step(
                "missing_evidence",
                {"missing": keys},
                f"no submission of {keys} when review started -> 0",
                format_e4(0),
            )
        )
    if adjustment.late_key:
        inputs = {
            "late_key": adjustment.late_key,
            "days_late": str(adjustment.days_late),
            "late_penalty": decimal_text(rules.late_penalty),
            "points": points,
        }
        if adjustment.missing:
            formula = (
                f"{adjustment.late_key} {adjustment.days_late} started day(s) late;"
                " the indicator already scores 0"
            )
            result = format_e4(0)
        else:
            formula = (
                f"latest ask {adjustment.late_key} {adjustment.days_late} started day(s) after"
                " the deadline: "
                f"max({_n(base_e4)} - {inputs['late_penalty']} x {points} x"
                f" {adjustment.days_late}, 0) = {_n(after_late)}"
            )
            result = format_e4(after_late)
        steps.append(Step("lateness", inputs, formula, result))
    if adjustment.claim_id:
        inputs = {"claim_id": str(adjustment.claim_id), "restored": _n(adjustment.restored_e4)}
        if adjustment.missing:
            formula = f"claim {adjustment.claim_id} approved; missing evidence is not restored -> 0"
        else:
            deducted = (rule.points * 10**4 - base_e4) if rule.method == "deduction" else 0
            formula = (
                f"claim {adjustment.claim_id} approved: restores lateness"
                f" {_n(adjustment.lateness_e4)}"
                f" and deductions {_n(int(deducted))}, never more than {points}: "
                f"{_n(after_late)} + {_n(adjustment.restored_e4)} = {_n(score_e4)}"
            )
        steps.append(Step("tolerance", inputs, formula, format_e4(score_e4)))
    return steps


def _method_step(
    rule: IndicatorRule, judgement: Judgement | None, base_e4: int, veto_tier: str
) -> Step:
    m = rule.method
    points = decimal_text(rule.points)
    unreviewed = judgement is None
    shown = "" if unreviewed else shown_value(m, judgement)
    note = "unreviewed: " if unreviewed else ""
    result = format_e4(base_e4)
    inputs: dict[str, str] = {"points": points}
    if unreviewed:
        inputs["unreviewed"] = "true"
    if m == "ratio":
        value = shown or "0"
        target = decimal_text(rule.target)
        inputs.update(value=value, target=target)
        formula = f"{note}min({value} / {target}, 1) x {points} = {_n(base_e4)}"
    elif m == "grade":
        shares = {g: decimal_text(s) for g, s in rule.grades}
        if unreviewed:
            formula = "unreviewed: no grade -> 0"
        else:
            inputs.update(grade=shown, share=shares[shown])
            formula = f"grade {shown} = {shares[shown]} x {points} = {_n(base_e4)}"
    elif m == "checklist":
        met = shown or "0"
        inputs.update(items_met=met, items=str(rule.items))
        formula = f"{note}min({met} / {rule.items}, 1) x {points} = {_n(base_e4)}"
    elif m == "deduction":
        occurrences = shown or "0"
        per = decimal_text(rule.deduct_per)
        inputs.update(occurrences=occurrences, deduct_per=per)
        formula = f"{note}max({points} - {per} x {occurrences}, 0) = {_n(base_e4)}"
    elif m == "bonus":
        claimed = shown or "0"
        cap = decimal_text(rule.max)
        inputs = {"claimed": claimed, "max": cap, **({"unreviewed": "true"} if unreviewed else {})}
        formula = (
            f"{note}min({claimed}, {cap}) = {_n(base_e4)} extra points, added to the composite"
        )
    else:
        failed = shown == "true"
        inputs = {
            "failed": "true" if failed else "false",
            **({"unreviewed": "true"} if unreviewed else {}),
        }
        formula = (
            f"failed: no points; the unit's tier is capped at {veto_tier}"
            if failed
            else f"{note}not failed: no points, no cap"
        )
    return Step(m, inputs, formula, result)


def special_assessment_step(
    code: str, weight: Decimal, earned_e4: int, possible: str, score_e4: int
) -> Step:
    """weight x (sum of its indicators' scores) / (sum of their points); the sum is exact,
    shown rounded."""
    return Step(
        "special_assessment",
        {"weight": decimal_text(weight), "earned": format_e4(earned_e4), "possible": possible},
        f"{code}: {decimal_text(weight)} x {_n(earned_e4)} / {possible} = {_n(score_e4)}",
        format_e4(score_e4),
    )


def composite_step(
    parts: Sequence[tuple[str, int]], bonus_e4: int, composite_e4: int, display: str
) -> Step:
    inputs = {code: format_e4(score) for code, score in parts}
    inputs["bonus"] = format_e4(bonus_e4)
    terms = " + ".join(_n(score) for _, score in parts) or "0"
    return Step(
        "composite",
        inputs,
        f"{terms} + bonus {_n(bonus_e4)} = {format_e4(composite_e4)} (exact sum rounded"
        f" half-up; display {display})",
        format_e4(composite_e4),
    )


def ranking_step(
    *,
    group: str,
    group_size: int,
    rank: int,
    composite_e4: int,
    tier: str,
    vetoed: bool,
    rules: CycleRules,
) -> Step:
    cutoffs = tier_cutoffs(group_size, rules.tiers)
    bands = ", ".join(
        f"{name} ranks <= {cutoff} ({decimal_text(t.top_share)} x {group_size} rounded up)"
        for (name, cutoff), t in zip(cutoffs, rules.tiers, strict=True)
    )
    formula = (
        f"rank {rank} of {group_size} in {group} by composite {format_e4(composite_e4)} "
        f"(equal 4-decimal composites share a rank); tiers: {bands}"
    )
    if vetoed:
        formula += f"; a failed veto forces {rules.veto_tier}"
    formula += f" -> {tier}"
    return Step(
        "rank_and_tier",
        {
            "group": group,
            "group_size": str(group_size),
            "rank": str(rank),
            "composite": format_e4(composite_e4),
            "vetoed": "true" if vetoed else "false",
        },
        formula,
        tier,
    )
