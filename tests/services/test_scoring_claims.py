"""Tolerance claims (容错) on the scoring service: filing, deciding, and what an approval
restores."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import grpc
import pytest

from oneassess.client.errors import error_reason
from oneassess.indicators.v1 import indicators_service_pb2 as ind_pb
from oneassess.scoring.v1 import scoring_service_pb2 as pb
from services.common.auth import Role
from tests.services.test_scoring_support import (
    CYCLE,
    DEADLINE,
    city_fixture,  # noqa: F401 - the `city` fixture
    compute,
    publish,
    record,
    rejected,
    rid,
    table_counts,
)

SAFETY, ECOLOGY = "emergency-bureau", "ecology-bureau"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def ref(sa: str, indicator: str) -> ind_pb.IndicatorRef:
    return ind_pb.IndicatorRef(special_assessment_code=sa, indicator_code=indicator)


def filing(**overrides) -> pb.FileClaimRequest:
    fields = {
        "request_id": rid(),
        "cycle_code": CYCLE,
        "unit_code": "baiquan-town",
        "category": "T02",
        "description": "Typhoon In-fa closed the town hall for a week in December",
        "indicators": [ref("work-safety", "ws-02"), ref("ecology", "ec-01")],
        **overrides,
    }
    return pb.FileClaimRequest(**fields)


async def file(city, **overrides) -> pb.Claim:
    unit = overrides.get("unit_code", "baiquan-town")
    return (await city.unit(unit).FileClaim(filing(**overrides))).claim


async def decide(
    city,
    department: str,
    claim_id: int,
    decision=pb.DECISION_APPROVE,
    reason="verified with the weather bureau",
    **extra,
):
    request = pb.DecideClaimRequest(
        request_id=rid(),
        cycle_code=CYCLE,
        claim_id=claim_id,
        decision=decision,
        reason=reason,
        **extra,
    )
    return (await city.assessor(department).DecideClaim(request)).claim


async def test_each_owning_assessor_decides_its_own_indicators(city):
    claim = await file(city)
    assert (claim.category, claim.category_name) == ("T02", "因不可抗力或难以预见因素导致未达预期")
    assert [i.state for i in claim.indicators] == [pb.DECISION_STATE_PENDING] * 2
    decided = await decide(city, SAFETY, claim.claim_id)
    assert [(i.indicator.indicator_code, i.state) for i in decided.indicators] == [
        ("ws-02", pb.DECISION_STATE_APPROVED),
        ("ec-01", pb.DECISION_STATE_PENDING),
    ]
    assert decided.indicators[0].decided_by == "assessor:emergency-bureau"
    decided = await decide(
        city, ECOLOGY, claim.claim_id, pb.DECISION_REJECT, "the delay predates the typhoon"
    )
    assert decided.indicators[1].state == pb.DECISION_STATE_REJECTED
    assert decided.indicators[1].reason == "the delay predates the typhoon"
    # Lists: the unit sees its own; an assessor the claims naming its indicators.
    own = await city.unit("baiquan-town").ListClaims(pb.ListClaimsRequest(cycle_code=CYCLE))
    assert [c.claim_id for c in own.claims] == [claim.claim_id]
    assert not (
        await city.unit("ganlan-town").ListClaims(pb.ListClaimsRequest(cycle_code=CYCLE))
    ).claims
    assert not (
        await city.assessor("petitions-bureau").ListClaims(pb.ListClaimsRequest(cycle_code=CYCLE))
    ).claims
    rejected_ones = await city.as_(Role.AUDITOR).ListClaims(
        pb.ListClaimsRequest(cycle_code=CYCLE, state=pb.DECISION_STATE_REJECTED)
    )
    assert [c.claim_id for c in rejected_ones.claims] == [claim.claim_id]


async def test_an_approved_claim_restores_what_lateness_took(city):
    ledger = next(
        i.canonical_evidence[0] for i in city.catalogue.indicators if i.indicator.code == "ws-02"
    )
    city.submissions.times["baiquan-town"][ledger] = DEADLINE + timedelta(
        hours=30
    )  # 2 started days
    await record(
        city.assessor(SAFETY), "baiquan-town", "work-safety", "ws-02", pb.ReviewInput(value=0.98)
    )
    await compute(city)
    card = (
        await city.admin.GetScorecard(
            pb.GetScorecardRequest(cycle_code=CYCLE, unit_code="baiquan-town")
        )
    ).scorecard
    ws02 = next(i for i in card.indicators if i.indicator_code == "ws-02")
    assert ws02.score == "3.2000"  # 4 - 0.1 x 4 x 2
    claim = await file(city, indicators=[ref("work-safety", "ws-02")])
    await decide(city, SAFETY, claim.claim_id)
    await compute(city)
    card = (
        await city.admin.GetScorecard(
            pb.GetScorecardRequest(cycle_code=CYCLE, unit_code="baiquan-town")
        )
    ).scorecard
    ws02 = next(i for i in card.indicators if i.indicator_code == "ws-02")
    assert ws02.score == "4.0000"
    assert [s.rule for s in ws02.steps] == ["ratio", "lateness", "tolerance"]
    assert ws02.steps[2].inputs["claim_id"] == str(claim.claim_id)
    assert ws02.steps[2].formula.endswith("3.2 + 0.8 = 4")


def tomorrow() -> str:
    return (datetime.now(SHANGHAI).date() + timedelta(days=1)).isoformat()


def today() -> str:
    return datetime.now(SHANGHAI).date().isoformat()


async def test_pre_filing_is_for_categories_that_allow_it_and_acts_after_the_filing(city):
    claim = await file(
        city,
        category="T07",
        prefiling=True,
        act_date=tomorrow(),
        indicators=[ref("digital-reform", "dr-01")],
    )
    assert claim.prefiling and claim.act_date == tomorrow()


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"category": "N01"}, "category", "N01 (谋取私利) is never tolerated"),
        ({"category": "T99"}, "category", "unknown tolerance category 'T99'"),
        ({"description": "  "}, "description", "is required"),
        ({"indicators": []}, "indicators", "name at least one indicator"),
        (
            {"indicators": [ref("work-safety", "ws-05")]},
            "indicators[0]",
            "does not apply to township units",
        ),
        (
            {"indicators": [ref("work-safety", "ws-42")]},
            "indicators[0]",
            "no indicator work-safety/ws-42",
        ),
        (
            {"prefiling": True, "act_date": "2099-01-01"},
            "prefiling",
            "category T02 does not accept pre-filing (categories that do: T07)",
        ),
        ({"category": "T07", "prefiling": True}, "act_date", "is required for pre-filing"),
        (
            {"category": "T07", "prefiling": True, "act_date": "2026-13-01"},
            "act_date",
            "must be a date YYYY-MM-DD",
        ),
        ({"act_date": "2099-01-01"}, "act_date", "file it as a pre-filing"),
    ],
)
async def test_bad_claims_are_rejected_naming_the_field_and_change_nothing(
    city, overrides, field, words
):
    before = await table_counts(city.pool)
    err = await rejected(
        city.unit("baiquan-town").FileClaim(filing(**overrides)), grpc.StatusCode.INVALID_ARGUMENT
    )
    assert err.details().startswith(f"{field}:") and words in err.details()
    assert await table_counts(city.pool) == before


async def test_a_pre_filing_for_an_act_today_is_not_before_it(city):
    err = await rejected(
        city.unit("baiquan-town").FileClaim(
            filing(category="T07", prefiling=True, act_date=today())
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert err.details().startswith("act_date:") and "is not after the filing date" in err.details()


async def test_claim_permissions(city):
    before = await table_counts(city.pool)
    err = await rejected(
        city.unit("ganlan-town").FileClaim(filing()), grpc.StatusCode.PERMISSION_DENIED
    )
    assert error_reason(err) == "OTHER_UNIT"
    await rejected(city.assessor(SAFETY).FileClaim(filing()), grpc.StatusCode.PERMISSION_DENIED)
    assert await table_counts(city.pool) == before
    claim = await file(city)
    before = await table_counts(city.pool)
    err = await rejected(
        decide(city, "petitions-bureau", claim.claim_id), grpc.StatusCode.PERMISSION_DENIED
    )
    assert err.details().startswith("claim_id:")
    err = await rejected(
        decide(city, SAFETY, claim.claim_id, indicators=[ref("ecology", "ec-01")]),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    assert (
        err.details().startswith("indicators[0]:")
        and "belongs to line department 'ecology-bureau'" in err.details()
    )
    err = await rejected(
        decide(city, SAFETY, claim.claim_id, reason=""), grpc.StatusCode.INVALID_ARGUMENT
    )
    assert err.details().startswith("reason:")
    err = await rejected(
        decide(city, SAFETY, claim.claim_id, decision=pb.DECISION_UNSPECIFIED),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert err.details().startswith("decision:")
    err = await rejected(decide(city, SAFETY, 999), grpc.StatusCode.NOT_FOUND)
    assert err.details().startswith("claim_id:")
    assert await table_counts(city.pool) == before
    await decide(city, SAFETY, claim.claim_id)
    err = await rejected(decide(city, SAFETY, claim.claim_id), grpc.StatusCode.FAILED_PRECONDITION)
    assert error_reason(err) == "NOTHING_TO_DECIDE"


async def test_claims_close_when_scores_are_published(city):
    claim = await file(city)
    await compute(city)
    await publish(city)
    before = await table_counts(city.pool)
    err = await rejected(
        city.unit("baiquan-town").FileClaim(filing()), grpc.StatusCode.FAILED_PRECONDITION
    )
    assert error_reason(err) == "SCORES_PUBLISHED"
    err = await rejected(decide(city, SAFETY, claim.claim_id), grpc.StatusCode.FAILED_PRECONDITION)
    assert error_reason(err) == "SCORES_PUBLISHED"
    assert await table_counts(city.pool) == before
