"""Reading evidence: who may read what, listings and paging, ask status, ask times for
scoring, and downloads whose checksum the client verifies."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import grpc
import pytest

from oneassess.client.errors import error_reason
from oneassess.submissions.v1 import submissions_service_pb2 as pb
from services.common.auth import Role
from services.common.timestamps import timestamp
from tests.support import submissions as s

DATA_KEY = "app-inventory"  # of townships, asked by digital reform only (big-data-bureau)


@pytest.fixture
def stack(collecting_stack):
    return collecting_stack


@pytest.fixture
async def evidence(stack):
    """Baiquan's work plan (two versions) and data catalogue, and Ganlan's work plan."""
    baiquan = stack.as_(Role.UNIT, unit=s.UNIT)
    ganlan = stack.as_(Role.UNIT, unit=s.OTHER_UNIT)
    plan_v1 = (await s.upload(baiquan, s.pdf(seed="v1"))).submission
    plan_v2 = (await s.upload(baiquan, s.pdf(seed="v2"))).submission
    catalogue = (
        await s.upload(baiquan, s.sample("xlsx"), key=DATA_KEY, fmt="xlsx", file_name="apps.xlsx")
    ).submission
    other = (await s.upload(ganlan, s.pdf(seed="g"), unit=s.OTHER_UNIT)).submission
    return {"plan_v1": plan_v1, "plan_v2": plan_v2, "catalogue": catalogue, "other": other}


async def _download(clients, submission_id: str) -> tuple[pb.Submission, bytes]:
    messages = [
        m
        async for m in clients.submissions.Download(pb.DownloadRequest(submission_id=submission_id))
    ]
    assert messages[0].WhichOneof("payload") == "header"
    return messages[0].header, b"".join(m.chunk for m in messages[1:])


async def _denied(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    return err.value


async def test_download_streams_the_bytes_and_their_checksum(stack):
    baiquan = stack.as_(Role.UNIT, unit=s.UNIT)
    data = s.pdf(700 * 1024, seed="big")
    uploaded = (await s.upload(baiquan, data)).submission
    head, body = await _download(baiquan, uploaded.id)
    assert body == data
    assert head.sha256 == hashlib.sha256(body).hexdigest() == uploaded.sha256


async def test_a_changed_byte_on_disk_is_served_as_is_and_detectable(stack):
    baiquan = stack.as_(Role.UNIT, unit=s.UNIT)
    uploaded = (await s.upload(baiquan, s.pdf(seed="t"))).submission
    path = stack.settings.blobs / "sha256" / uploaded.sha256[:2] / uploaded.sha256
    path.chmod(0o644)
    tampered = bytearray(path.read_bytes())
    tampered[20] ^= 0xFF
    path.write_bytes(bytes(tampered))
    head, body = await _download(stack.as_(Role.AUDITOR), uploaded.id)
    assert body == bytes(tampered)
    assert hashlib.sha256(body).hexdigest() != head.sha256


async def test_a_unit_reads_only_its_own_evidence(stack, evidence):
    baiquan = stack.as_(Role.UNIT, unit=s.UNIT)
    own = await baiquan.submissions.GetSubmission(
        pb.GetSubmissionRequest(submission_id=evidence["plan_v1"].id)
    )
    assert own.submission.id == evidence["plan_v1"].id
    err = await _denied(
        baiquan.submissions.GetSubmission(
            pb.GetSubmissionRequest(submission_id=evidence["other"].id)
        )
    )
    assert error_reason(err) == "OTHER_UNIT"
    await _denied(_download(baiquan, evidence["other"].id))
    await _denied(
        baiquan.submissions.ListSubmissions(
            pb.ListSubmissionsRequest(cycle_code=s.CYCLE, unit_code=s.OTHER_UNIT)
        )
    )
    listed = await baiquan.submissions.ListSubmissions(
        pb.ListSubmissionsRequest(cycle_code=s.CYCLE)
    )
    assert {x.unit_code for x in listed.submissions} == {s.UNIT}
    assert len(listed.submissions) == 3


async def test_an_assessor_reads_evidence_for_its_own_indicators_only(stack, evidence):
    big_data = stack.as_(Role.ASSESSOR, department="big-data-bureau")
    organization = stack.as_(Role.ASSESSOR, department="organization-dept")
    head, _ = await _download(big_data, evidence["catalogue"].id)
    assert head.evidence_key == DATA_KEY
    err = await _denied(_download(organization, evidence["catalogue"].id))
    assert error_reason(err) == "OTHER_DEPARTMENT"
    await _denied(
        organization.submissions.ListSubmissions(
            pb.ListSubmissionsRequest(cycle_code=s.CYCLE, evidence_key=DATA_KEY)
        )
    )
    listed = await organization.submissions.ListSubmissions(
        pb.ListSubmissionsRequest(cycle_code=s.CYCLE)
    )
    assert DATA_KEY not in {x.evidence_key for x in listed.submissions}
    assert {x.id for x in listed.submissions} == {
        evidence[k].id for k in ("plan_v1", "plan_v2", "other")
    }


async def test_an_auditor_reads_everything_including_old_versions(stack, evidence):
    auditor = stack.as_(Role.AUDITOR)
    head, body = await _download(auditor, evidence["plan_v1"].id)
    assert not head.current and hashlib.sha256(body).hexdigest() == head.sha256
    listed = await auditor.submissions.ListSubmissions(
        pb.ListSubmissionsRequest(cycle_code=s.CYCLE)
    )
    assert len(listed.submissions) == 4


async def test_listing_pages_newest_first_and_filters_by_alias(stack, evidence):
    auditor = stack.as_(Role.AUDITOR)
    seen, token = [], ""
    while True:
        page = await auditor.submissions.ListSubmissions(
            pb.ListSubmissionsRequest(cycle_code=s.CYCLE, page_size=1, page_token=token)
        )
        seen += list(page.submissions)
        token = page.next_page_token
        if not token:
            break
    assert [x.id for x in seen] == [
        evidence[k].id for k in ("other", "catalogue", "plan_v2", "plan_v1")
    ]
    by_key = await auditor.submissions.ListSubmissions(
        pb.ListSubmissionsRequest(cycle_code=s.CYCLE, unit_code=s.UNIT, evidence_key=s.KEY)
    )
    assert [x.version for x in by_key.submissions] == [2, 1]


async def test_unknown_submission_and_bad_page_token(stack):
    auditor = stack.as_(Role.AUDITOR)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await auditor.submissions.GetSubmission(pb.GetSubmissionRequest(submission_id="nope"))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND and err.value.details().startswith(
        "submission_id:"
    )
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await auditor.submissions.ListSubmissions(
            pb.ListSubmissionsRequest(cycle_code=s.CYCLE, page_token="%%%")
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and err.value.details().startswith(
        "page_token:"
    )


async def test_ask_status_lists_every_ask_of_the_unit(stack, evidence):
    status = await stack.as_(Role.UNIT, unit=s.UNIT).submissions.GetAskStatus(
        pb.GetAskStatusRequest(cycle_code=s.CYCLE, unit_code=s.UNIT)
    )
    by_key = {a.evidence_key: a for a in status.asks}
    assert by_key[s.KEY].state == pb.ASK_STATE_SUBMITTED and by_key[s.KEY].versions == 2
    assert by_key[s.KEY].current_submission_id == evidence["plan_v2"].id
    assert (
        by_key[s.KEY].first_submitted_at.ToDatetime()
        < by_key[s.KEY].latest_submitted_at.ToDatetime()
    )
    missing = [a for a in status.asks if a.state == pb.ASK_STATE_MISSING]
    assert len(missing) == len(status.asks) - 2 and not missing[0].current_submission_id
    assert status.HasField("deadline") and status.HasField("closes_at")


async def test_ask_times_give_scoring_first_submissions_and_extended_deadlines(stack, evidence):
    service = stack.as_(Role.SERVICE)
    await service.submissions.ExtendUnit(
        pb.ExtendUnitRequest(
            request_id="e1",
            cycle_code=s.CYCLE,
            unit_code=s.OTHER_UNIT,
            deadline=timestamp(datetime.now(UTC) + timedelta(days=5)),
            reason="typhoon",
        )
    )
    first = await service.submissions.ListAskTimes(
        pb.ListAskTimesRequest(cycle_code=s.CYCLE, page_size=2)
    )
    second = await service.submissions.ListAskTimes(
        pb.ListAskTimesRequest(cycle_code=s.CYCLE, page_size=2, page_token=first.next_page_token)
    )
    times = [(t.unit_code, t.evidence_key) for t in [*first.ask_times, *second.ask_times]]
    assert times == [(s.UNIT, s.KEY), (s.UNIT, DATA_KEY), (s.OTHER_UNIT, s.KEY)]
    plan = first.ask_times[0]
    assert plan.first_submitted_at == evidence["plan_v1"].submitted_at
    assert [u.unit_code for u in first.extended] == [s.OTHER_UNIT] and not second.extended
    assert first.cycle_deadline.seconds > 0 and not second.next_page_token
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stack.as_(Role.UNIT, unit=s.UNIT).submissions.ListAskTimes(
            pb.ListAskTimesRequest(cycle_code=s.CYCLE)
        )
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
