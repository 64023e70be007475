"""Appeals (申诉) on the scoring service: the window, upholding, and an adjustment that
recomputes the unit, its group's ranks and tiers as a new published run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc

from oneassess.client.errors import error_reason
from oneassess.indicators.v1 import indicators_service_pb2 as ind_pb
from oneassess.scoring.v1 import scoring_service_pb2 as pb
from services.common.auth import Role
from tests.services.test_scoring_support import (
    CYCLE,
    city_fixture,  # noqa: F401 - the `city` fixture
    compute,
    publish,
    record,
    rejected,
    rid,
    table_counts,
)

SAFETY = "emergency-bureau"
WS02 = ind_pb.IndicatorRef(special_assessment_code="work-safety", indicator_code="ws-02")


async def file(
    city,
    unit: str = "linhai-street",
    indicator: ind_pb.IndicatorRef = WS02,
    reason: str = "the ledger shows 98%",
):
    request = pb.FileAppealRequest(
        request_id=rid(), cycle_code=CYCLE, unit_code=unit, indicator=indicator, reason=reason
    )
    return (await city.unit(unit).FileAppeal(request)).appeal


async def decide(
    city,
    appeal_id: int,
    decision,
    department: str = SAFETY,
    reason: str = "rechecked the ledger",
    adjustment=None,
):
    request = pb.DecideAppealRequest(
        request_id=rid(),
        cycle_code=CYCLE,
        appeal_id=appeal_id,
        decision=decision,
        reason=reason,
        adjustment=adjustment,
    )
    return await city.assessor(department).DecideAppeal(request)


async def published_city(city) -> pb.ScoreRun:
    """Urban streets: dinghai 4 on ws-02, linhai 3.8 (0.931), the other two unreviewed (0)."""
    assessor = city.assessor(SAFETY)
    await record(assessor, "dinghai-street", "work-safety", "ws-02", pb.ReviewInput(value=0.98))
    await record(assessor, "linhai-street", "work-safety", "ws-02", pb.ReviewInput(value=0.931))
    await compute(city)
    return await publish(city)


async def ranks(city, group: str = "urban-street") -> dict[str, tuple[int, str]]:
    page = await city.admin.ListScores(pb.ListScoresRequest(cycle_code=CYCLE, group=group))
    return {s.unit_code: (s.rank, s.composite) for s in page.scores}


async def test_appeals_open_only_after_publication(city):
    await compute(city)
    before = await table_counts(city.pool)
    err = await rejected(file(city), grpc.StatusCode.FAILED_PRECONDITION)
    assert error_reason(err) == "NOT_PUBLISHED"
    assert await table_counts(city.pool) == before


async def test_an_adjustment_recomputes_the_unit_and_its_groups_ranks(city):
    published = await published_city(city)
    before = await ranks(city)
    assert before["dinghai-street"][0] == 1 and before["linhai-street"][0] == 2
    towns_before = await ranks(city, "town")
    appeal = await file(city)
    assert (appeal.state, appeal.score_before) == (pb.APPEAL_STATE_PENDING, "3.8000")
    err = await rejected(file(city), grpc.StatusCode.FAILED_PRECONDITION)
    assert error_reason(err) == "APPEAL_PENDING"
    err = await rejected(
        city.as_(Role.SERVICE).FinalizeScores(
            pb.FinalizeScoresRequest(request_id=rid(), cycle_code=CYCLE)
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert error_reason(err) in ("APPEAL_WINDOW_OPEN", "APPEALS_PENDING")

    response = await decide(
        city, appeal.appeal_id, pb.APPEAL_DECISION_ADJUST, adjustment=pb.ReviewInput(value=0.98)
    )
    decided, run = response.appeal, response.run
    assert (decided.state, decided.score_after, decided.run) == (
        pb.APPEAL_STATE_ADJUSTED,
        "4.0000",
        run.run,
    )
    assert (run.run, run.trigger, run.published) == (
        published.run + 1,
        f"appeal:{appeal.appeal_id}",
        True,
    )
    assert run.appeal_deadline == published.appeal_deadline
    after = await ranks(city)
    assert after["dinghai-street"][0] == after["linhai-street"][0] == 1  # now a tie
    assert after["dinghai-street"][1] == after["linhai-street"][1]
    assert await ranks(city, "town") == towns_before
    # The unit reads its new published scorecard; the adjustment is a review revision from the
    # appeal.
    card = (
        await city.unit("linhai-street").GetScorecard(
            pb.GetScorecardRequest(cycle_code=CYCLE, unit_code="linhai-street")
        )
    ).scorecard
    ws02 = next(i for i in card.indicators if i.indicator_code == "ws-02")
    assert (ws02.score, ws02.review_revision) == ("4.0000", 2)
    history = await city.assessor(SAFETY).ListReviews(
        pb.ListReviewsRequest(
            cycle_code=CYCLE, unit_code="linhai-street", indicator_code="ws-02", all_revisions=True
        )
    )
    assert [(r.revision, r.source, r.comment) for r in history.reviews] == [
        (2, f"appeal:{appeal.appeal_id}", "rechecked the ledger"),
        (1, "rpc", ""),
    ]
    # Detail rows are stored for the changed unit only, yet the run recomputes exactly.
    assert (
        await city.pool.fetchval(
            "SELECT count(DISTINCT unit_code) FROM indicator_scores s"
            " JOIN score_runs r ON r.id = s.run_id WHERE r.run = $1",
            run.run,
        )
        == 1
    )
    verified = await city.as_(Role.AUDITOR).VerifyScores(
        pb.VerifyScoresRequest(cycle_code=CYCLE, run=run.run)
    )
    assert verified.matches, verified.differences
    first = await city.as_(Role.AUDITOR).VerifyScores(
        pb.VerifyScoresRequest(cycle_code=CYCLE, run=published.run)
    )
    assert first.matches, first.differences
    audit = await city.pool.fetch(
        "SELECT action FROM audit_log WHERE action LIKE 'appeal.%' ORDER BY seq"
    )
    assert [a["action"] for a in audit] == ["appeal.filed", "appeal.adjusted"]


async def test_upholding_keeps_the_score_and_records_the_reason(city):
    await published_city(city)
    appeal = await file(city)
    response = await decide(
        city, appeal.appeal_id, pb.APPEAL_DECISION_UPHOLD, reason="93.1% is what the ledger shows"
    )
    assert (
        response.appeal.state,
        response.appeal.score_after,
        response.appeal.decision_reason,
    ) == (
        pb.APPEAL_STATE_UPHELD,
        "3.8000",
        "93.1% is what the ledger shows",
    )
    assert not response.HasField("run")
    assert await city.pool.fetchval("SELECT count(*) FROM score_runs") == 1
    err = await rejected(
        decide(city, appeal.appeal_id, pb.APPEAL_DECISION_UPHOLD),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert error_reason(err) == "ALREADY_DECIDED"
    listed = await city.unit("linhai-street").ListAppeals(pb.ListAppealsRequest(cycle_code=CYCLE))
    assert [a.appeal_id for a in listed.appeals] == [appeal.appeal_id]
    assert not (
        await city.assessor("ecology-bureau").ListAppeals(pb.ListAppealsRequest(cycle_code=CYCLE))
    ).appeals


async def test_bad_decisions_change_nothing(city):
    await published_city(city)
    appeal = await file(city)
    before = await table_counts(city.pool)
    err = await rejected(
        decide(
            city, appeal.appeal_id, pb.APPEAL_DECISION_ADJUST, adjustment=pb.ReviewInput(grade="A")
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert (
        err.details().startswith("adjustment.grade:")
        and "not used by method ratio" in err.details()
    )
    err = await rejected(
        decide(city, appeal.appeal_id, pb.APPEAL_DECISION_ADJUST), grpc.StatusCode.INVALID_ARGUMENT
    )
    assert err.details().startswith("adjustment:")
    err = await rejected(
        decide(city, appeal.appeal_id, pb.APPEAL_DECISION_UPHOLD, reason=" "),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert err.details().startswith("reason:")
    err = await rejected(
        decide(city, appeal.appeal_id, pb.APPEAL_DECISION_UPHOLD, department="ecology-bureau"),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    assert error_reason(err) == "OTHER_DEPARTMENT"
    assert await table_counts(city.pool) == before
    state = await city.pool.fetchval("SELECT state FROM appeals WHERE id = $1", appeal.appeal_id)
    assert state == "pending"


async def test_filing_rules(city):
    await published_city(city)
    before = await table_counts(city.pool)
    err = await rejected(file(city, reason=""), grpc.StatusCode.INVALID_ARGUMENT)
    assert err.details().startswith("reason:")
    err = await rejected(
        city.unit("dinghai-street").FileAppeal(
            pb.FileAppealRequest(
                request_id=rid(),
                cycle_code=CYCLE,
                unit_code="linhai-street",
                indicator=WS02,
                reason="x",
            )
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    assert error_reason(err) == "OTHER_UNIT"
    err = await rejected(
        file(
            city,
            indicator=ind_pb.IndicatorRef(
                special_assessment_code="work-safety", indicator_code="ws-05"
            ),
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert err.details().startswith("indicator:")
    assert await table_counts(city.pool) == before


async def test_the_window_closes_at_the_appeal_deadline(city):
    await published_city(city)
    await city.pool.execute(
        "UPDATE score_runs SET appeal_deadline = $1", datetime.now(UTC) - timedelta(minutes=1)
    )
    err = await rejected(file(city), grpc.StatusCode.FAILED_PRECONDITION)
    assert error_reason(err) == "APPEAL_WINDOW_CLOSED"


async def test_an_adjustment_changes_only_the_appealed_review_not_later_unpublished_ones(city):
    """A review recorded after the published run was computed stays out of the appeal's run:
    one unit's appeal must not re-score the others."""
    assessor = city.assessor(SAFETY)
    await record(assessor, "dinghai-street", "work-safety", "ws-02", pb.ReviewInput(value=0.98))
    await record(assessor, "linhai-street", "work-safety", "ws-02", pb.ReviewInput(value=0.931))
    await compute(city)
    # Recorded after the computation, before publication: not part of the published results.
    await record(assessor, "dinghai-street", "work-safety", "ws-03", pb.ReviewInput(value=0.95))
    await publish(city)
    dinghai_before = (await ranks(city))["dinghai-street"]

    appeal = await file(city)
    response = await decide(
        city, appeal.appeal_id, pb.APPEAL_DECISION_ADJUST, adjustment=pb.ReviewInput(value=0.98)
    )
    assert response.appeal.score_after == "4.0000"
    assert (await ranks(city))["dinghai-street"] == dinghai_before
    verified = await city.as_(Role.AUDITOR).VerifyScores(
        pb.VerifyScoresRequest(cycle_code=CYCLE, run=response.run.run)
    )
    assert verified.matches, verified.differences

    # A second appeal builds on the first: both adjustments, still nothing unpublished.
    ws03 = ind_pb.IndicatorRef(special_assessment_code="work-safety", indicator_code="ws-03")
    second = await file(city, indicator=ws03, reason="training covered 95%")
    again = await decide(
        city, second.appeal_id, pb.APPEAL_DECISION_ADJUST, adjustment=pb.ReviewInput(value=0.95)
    )
    card = (
        await city.unit("linhai-street").GetScorecard(
            pb.GetScorecardRequest(cycle_code=CYCLE, unit_code="linhai-street")
        )
    ).scorecard
    scores = {
        i.indicator_code: i.score
        for i in card.indicators
        if i.special_assessment_code == "work-safety"
    }
    assert (scores["ws-02"], scores["ws-03"]) == ("4.0000", "2.0000")
    rank, composite = (await ranks(city))["dinghai-street"]
    assert (rank, composite) == (
        2,
        dinghai_before[1],
    )  # overtaken by linhai, its own score untouched
    assert again.run.run == response.run.run + 1
