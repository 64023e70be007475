"""Score runs on the scoring service: compute from the peers' data, scorecards with their
explanations, publication, finalisation, what-if weights, verification and who reads what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest

from oneassess.client.errors import error_reason
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
    ts,
)

SAFETY = "emergency-bureau"


def canonical(city, sa: str, indicator: str) -> list[str]:
    return next(
        list(i.canonical_evidence)
        for i in city.catalogue.indicators
        if (i.special_assessment_code, i.indicator.code) == (sa, indicator)
    )


async def scorecard(client, unit: str, run: int = 0) -> pb.Scorecard:
    return (
        await client.GetScorecard(pb.GetScorecardRequest(cycle_code=CYCLE, unit_code=unit, run=run))
    ).scorecard


def indicator(card: pb.Scorecard, code: str) -> pb.IndicatorScore:
    return next(i for i in card.indicators if i.indicator_code == code)


async def test_unreviewed_city_scores_deductions_full_and_the_rest_zero(city):
    run = await compute(city)
    assert (run.run, run.units, run.published, run.trigger) == (1, 24, False, "compute")
    assert run.indicator_scores == sum(
        1 for u in city.catalogue.units for i in city.catalogue.indicators if u.kind in i.applies_to
    )
    card = await scorecard(city.admin, "baiquan-town")
    safety = next(s for s in card.special_assessments if s.special_assessment_code == "work-safety")
    # Township work safety: points 3 + 4 + 2 + 2 + 2 = 13; unreviewed, only ws-06 (deduction,
    # 0 occurrences) keeps its 2 points: 15 x 2 / 13 = 2.307692... -> 2.3077.
    assert safety.score == "2.3077"
    assert safety.explanation.formula == "work-safety: 15 x 2 / 13 = 2.3077"
    ws06 = indicator(card, "ws-06")
    assert (ws06.score, ws06.unreviewed, ws06.review_revision) == ("2.0000", True, 0)
    assert ws06.steps[0].formula == "unreviewed: max(2 - 1 x 0, 0) = 2"
    assert card.score.unreviewed == sum(
        1 for i in city.catalogue.indicators if "township" in i.applies_to
    )


async def test_a_late_ask_a_missing_ask_and_a_failed_veto_show_in_the_scorecard(city):
    ledger = canonical(city, "work-safety", "ws-02")[0]
    training = canonical(city, "work-safety", "ws-03")[0]
    city.submissions.times["baiquan-town"][ledger] = DEADLINE + timedelta(
        days=2, hours=1
    )  # 3 started days
    del city.submissions.times["baiquan-town"][training]
    assessor = city.assessor(SAFETY)
    await record(
        assessor, "baiquan-town", "work-safety", "ws-02", pb.ReviewInput(value=0.95), "ledger"
    )
    await record(assessor, "baiquan-town", "work-safety", "ws-03", pb.ReviewInput(value=1.0))
    await record(
        assessor,
        "baiquan-town",
        "work-safety",
        "ws-07",
        pb.ReviewInput(failed=True),
        "major accident",
    )
    await compute(city)
    card = await scorecard(city.admin, "baiquan-town")
    ws02 = indicator(card, "ws-02")
    # min(0.95 / 0.98, 1) x 4 = 3.877551..., minus 0.1 x 4 x 3 = 1.2 -> 2.677551 -> 2.6776
    assert ws02.score == "2.6776" and ws02.review_revision == 1
    assert [s.rule for s in ws02.steps] == ["ratio", "lateness"]
    assert ws02.steps[0].formula == "min(0.95 / 0.98, 1) x 4 = 3.8776"
    assert dict(ws02.steps[1].inputs) == {
        "late_key": ledger,
        "days_late": "3",
        "late_penalty": "0.1",
        "points": "4",
    }
    assert ws02.steps[1].result == "2.6776"
    ws03 = indicator(card, "ws-03")
    assert ws03.score == "0.0000" and [s.rule for s in ws03.steps] == ["ratio", "missing_evidence"]
    assert ws03.steps[1].inputs["missing"] == training
    assert card.score.vetoed and card.score.tier == "较差"
    assert "a failed veto forces 较差" in card.ranking.formula
    assert (
        indicator(card, "ws-07").steps[0].formula
        == "failed: no points; the unit's tier is capped at 较差"
    )


async def test_recompute_of_the_same_inputs_is_byte_identical(city):
    await record(
        city.assessor(SAFETY), "jintang-town", "work-safety", "ws-04", pb.ReviewInput(grade="C")
    )
    first, second = await compute(city), await compute(city)
    assert second.run == first.run + 1
    assert (second.inputs_sha256, second.results_sha256) == (
        first.inputs_sha256,
        first.results_sha256,
    )
    await record(
        city.assessor(SAFETY), "jintang-town", "work-safety", "ws-04", pb.ReviewInput(grade="A")
    )
    third = await compute(city)
    assert (
        third.inputs_sha256 != first.inputs_sha256 and third.results_sha256 != first.results_sha256
    )


async def test_compute_is_idempotent_by_request_id(city):
    request = pb.ComputeScoresRequest(request_id=rid(), cycle_code=CYCLE)
    first = await city.admin.ComputeScores(request)
    calls = city.submissions.calls
    again = await city.admin.ComputeScores(request)
    assert again == first
    assert city.submissions.calls == calls  # answered from the stored response, no new work
    assert await city.pool.fetchval("SELECT count(*) FROM score_runs") == 1


async def test_ranking_lists_groups_by_rank_with_their_tiers(city):
    assessor = city.assessor(SAFETY)
    await record(assessor, "dinghai-street", "work-safety", "ws-02", pb.ReviewInput(value=1))
    await compute(city)
    page = await city.as_(Role.AUDITOR).ListScores(
        pb.ListScoresRequest(cycle_code=CYCLE, group="urban-street")
    )
    assert page.scores[0].unit_code == "dinghai-street"
    assert [s.rank for s in page.scores] == [1, 2, 2, 2]  # the other three tie
    assert all(s.group_size == 4 for s in page.scores)
    assert [s.tier for s in page.scores] == [
        "优秀",
        "优秀",
        "优秀",
        "优秀",
    ]  # ceil(0.3 x 4) = 2 >= rank 2
    (tiers,) = page.tiers
    assert [(b.tier, b.cutoff_rank, b.units) for b in tiers.bands] == [
        ("优秀", 2, 4),
        ("良好", 4, 0),
        ("一般", 4, 0),
        ("较差", 0, 0),
    ]
    everyone = await city.admin.ListScores(pb.ListScoresRequest(cycle_code=CYCLE, page_size=10))
    rest = await city.admin.ListScores(
        pb.ListScoresRequest(cycle_code=CYCLE, page_token=everyone.next_page_token, page_size=100)
    )
    groups = [s.group for s in [*everyone.scores, *rest.scores]]
    assert len(groups) == 24 and groups == sorted(groups) and not rest.next_page_token


async def test_units_see_only_their_own_published_scorecard_and_auditors_read_all(city):
    await compute(city)
    unit = city.unit("baiquan-town")
    err = await rejected(scorecard(unit, "baiquan-town"), grpc.StatusCode.NOT_FOUND)
    assert "no published scores" in err.details()
    await publish(city)
    own = await scorecard(unit, "baiquan-town")
    assert own.score.unit_code == "baiquan-town"
    err = await rejected(scorecard(unit, "ganlan-town"), grpc.StatusCode.PERMISSION_DENIED)
    assert error_reason(err) == "OTHER_UNIT"
    listed = await unit.ListScores(pb.ListScoresRequest(cycle_code=CYCLE))
    assert [s.unit_code for s in listed.scores] == ["baiquan-town"] and not listed.tiers
    auditor = city.as_(Role.AUDITOR)
    assert (await scorecard(auditor, "ganlan-town")).score.unit_code == "ganlan-town"
    await rejected(
        unit.ComputeScores(pb.ComputeScoresRequest(request_id=rid(), cycle_code=CYCLE)),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    await rejected(
        auditor.PublishScores(
            pb.PublishScoresRequest(
                request_id=rid(), cycle_code=CYCLE, appeal_deadline=ts(DEADLINE)
            )
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )


async def test_publication_rules(city):
    err = await rejected(
        city.admin.PublishScores(pb.PublishScoresRequest(request_id=rid(), cycle_code=CYCLE)),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert err.details().startswith("appeal_deadline:")
    err = await rejected(publish(city), grpc.StatusCode.FAILED_PRECONDITION)
    assert error_reason(err) == "NO_SCORES"
    await compute(city)
    run = await publish(city)
    assert run.published and run.HasField("appeal_deadline")
    before = await table_counts(city.pool)
    err = await rejected(publish(city), grpc.StatusCode.FAILED_PRECONDITION)
    assert error_reason(err) == "ALREADY_PUBLISHED"
    err = await rejected(compute(city), grpc.StatusCode.FAILED_PRECONDITION)
    assert error_reason(err) == "SCORES_PUBLISHED"
    assert await table_counts(city.pool) == before


async def test_finalize_waits_for_the_appeal_window(city):
    await compute(city)
    await publish(city, datetime.now(UTC) + timedelta(days=7))
    service = city.as_(Role.SERVICE)
    err = await rejected(
        service.FinalizeScores(pb.FinalizeScoresRequest(request_id=rid(), cycle_code=CYCLE)),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    assert error_reason(err) == "APPEAL_WINDOW_OPEN"
    await city.pool.execute("UPDATE score_runs SET appeal_deadline = now() - interval '1 second'")
    final = (
        await service.FinalizeScores(pb.FinalizeScoresRequest(request_id=rid(), cycle_code=CYCLE))
    ).run
    assert final.HasField("finalized_at")
    again = (
        await service.FinalizeScores(pb.FinalizeScoresRequest(request_id=rid(), cycle_code=CYCLE))
    ).run
    assert again.finalized_at == final.finalized_at


async def test_verify_recomputes_a_stored_run_and_finds_a_tampered_row(city):
    await record(
        city.assessor(SAFETY), "cengang-town", "work-safety", "ws-01", pb.ReviewInput(items_met=3)
    )
    run = await compute(city)
    auditor = city.as_(Role.AUDITOR)
    verified = await auditor.VerifyScores(pb.VerifyScoresRequest(cycle_code=CYCLE, run=run.run))
    assert verified.matches and not verified.differences
    assert (verified.inputs_sha256, verified.results_sha256) == (
        run.inputs_sha256,
        run.results_sha256,
    )
    await city.pool.execute(
        "UPDATE indicator_scores SET score_e4 = 30000"
        " WHERE unit_code = 'cengang-town' AND indicator_code = 'ws-01'"
    )
    tampered = await auditor.VerifyScores(pb.VerifyScoresRequest(cycle_code=CYCLE))
    assert not tampered.matches
    assert tampered.differences[0].startswith(
        "indicator cengang-town/work-safety/ws-01: stored (30000, 22500"
    )


async def test_preview_weights_ranks_without_saving(city):
    assessor = city.assessor(SAFETY)
    await record(assessor, "dinghai-street", "work-safety", "ws-02", pb.ReviewInput(value=1))
    await record(
        city.assessor("ecology-bureau"),
        "linhai-street",
        "ecology",
        "ec-01",
        pb.ReviewInput(items_met=4),
    )
    await compute(city)
    before = await table_counts(city.pool)
    current = await city.admin.ListScores(
        pb.ListScoresRequest(cycle_code=CYCLE, group="urban-street")
    )
    safety_heavy = {"work-safety": "29", "ecology": "0"}
    preview = await city.admin.PreviewWeights(
        pb.PreviewWeightsRequest(cycle_code=CYCLE, group="urban-street", weights=safety_heavy)
    )
    assert preview.weights["work-safety"] == "29" and preview.weights["ecology"] == "0"
    top = preview.scores[0]
    assert top.score.unit_code == "dinghai-street" and top.score.rank == 1
    linhai = next(s for s in preview.scores if s.score.unit_code == "linhai-street")
    assert linhai.score.rank == 2 and linhai.current_rank in (1, 2)
    assert {s.unit_code: s.composite for s in current.scores}[
        "linhai-street"
    ] == linhai.current_composite
    assert await table_counts(city.pool) == before


@pytest.mark.parametrize(
    ("weights", "field", "words"),
    [
        ({"work-safety": "20"}, "weights", "must sum to 100 (they sum to 105)"),
        ({"astrology": "1"}, "weights[astrology]", "no special assessment 'astrology'"),
        ({"work-safety": "-5", "ecology": "34"}, "weights[work-safety]", "must be a number >= 0"),
        ({"work-safety": "lots"}, "weights[work-safety]", "must be a number"),
    ],
)
async def test_preview_weights_rejects_bad_weights(city, weights, field, words):
    await compute(city)
    err = await rejected(
        city.admin.PreviewWeights(pb.PreviewWeightsRequest(cycle_code=CYCLE, weights=weights)),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert err.details().startswith(f"{field}:") and words in err.details()


async def test_an_unknown_cycle_is_not_found(city):
    err = await rejected(
        city.admin.ComputeScores(
            pb.ComputeScoresRequest(request_id=rid(), cycle_code="atlantis-2026")
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    assert "atlantis-2026" in err.details()


async def test_compute_needs_an_opened_collection(city):
    city.submissions.deadline = None
    before = await table_counts(city.pool)
    err = await rejected(compute(city), grpc.StatusCode.FAILED_PRECONDITION)
    assert error_reason(err) == "COLLECTION_NOT_OPEN"
    assert await table_counts(city.pool) == before


async def test_an_extension_moves_the_units_deadline(city):
    ledger = canonical(city, "work-safety", "ws-02")[0]
    for unit in ("baiquan-town", "ganlan-town"):
        city.submissions.times[unit][ledger] = DEADLINE + timedelta(days=1)
        await record(
            city.assessor(SAFETY), unit, "work-safety", "ws-02", pb.ReviewInput(value=0.98)
        )
    city.submissions.extended["ganlan-town"] = DEADLINE + timedelta(days=2)
    await compute(city)
    late = indicator(await scorecard(city.admin, "baiquan-town"), "ws-02")
    extended = indicator(await scorecard(city.admin, "ganlan-town"), "ws-02")
    assert (late.score, extended.score) == ("3.6000", "4.0000")  # 4 - 0.1 x 4 x 1 day
    assert [s.rule for s in extended.steps] == ["ratio"]


async def test_list_scores_pages_in_order_and_refuses_tokens_it_did_not_issue(city):
    await compute(city)
    whole = await city.admin.ListScores(pb.ListScoresRequest(cycle_code=CYCLE, page_size=5000))
    expected = [(s.group, s.rank, s.unit_code) for s in whole.scores]
    assert expected == sorted(expected) and len(expected) == 24 and whole.tiers
    pages, token = [], ""
    while True:
        page = await city.admin.ListScores(
            pb.ListScoresRequest(cycle_code=CYCLE, page_size=7, page_token=token)
        )
        pages.append(page)
        token = page.next_page_token
        if not token:
            break
    assert [len(p.scores) for p in pages] == [7, 7, 7, 3]
    assert [(s.group, s.rank, s.unit_code) for p in pages for s in p.scores] == expected
    assert pages[0].tiers and not any(p.tiers for p in pages[1:])  # tiers on the first page
    # A later page reads the run its first page read, even after a new run.
    await compute(city)
    again = await city.admin.ListScores(
        pb.ListScoresRequest(cycle_code=CYCLE, page_size=7, page_token=pages[0].next_page_token)
    )
    assert again.run.run == pages[0].run.run
    for token in (
        "garbage!",
        "e30=",  # {}
        "eyJvZmZzZXQiOi0xMH0=",  # {"offset":-10}, the old token shape
        "eyJydW4iOjEsImFmdGVyIjpbImEiLC0xLCJiIl19",  # {"run":1,"after":["a",-1,"b"]}
        "eyJydW4iOjEsImFmdGVyIjpbImEiLCIxIiwiYiJdfQ==",  # rank as a string
        "x" * 5000,
    ):
        err = await rejected(
            city.admin.ListScores(pb.ListScoresRequest(cycle_code=CYCLE, page_token=token)),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        assert "page_token" in err.details(), token
    err = await rejected(
        city.admin.ListScores(
            pb.ListScoresRequest(cycle_code=CYCLE, run=2, page_token=pages[0].next_page_token)
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert "continues run 1" in err.details()
