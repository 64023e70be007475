"""Uploads: stored content-addressed, versioned, deduplicated, idempotent; every bad input gets
a clear status and leaves no row, no visible file and no temporary file."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta

import grpc
import pytest

from oneassess.client.errors import error_reason
from oneassess.submissions.v1 import submissions_service_pb2 as pb
from services.common import audit
from services.common.auth import Role
from services.common.timestamps import timestamp
from tests.conftest import make_settings, start_stack, stop_stack
from tests.support import submissions as s


@pytest.fixture
async def stack(tmp_path, database_url):
    settings = make_settings(
        tmp_path / "home", database_url, ONEASSESS_MAX_UPLOAD_BYTES=str(1024 * 1024)
    )
    running = await start_stack(settings, ("indicators", "submissions"))
    try:  # a failed set-up stops the stack too: nothing outlives its database
        await s.fold_example(running.admin)
        await s.open_window(running.admin)
        yield running
    finally:
        await stop_stack(running)


@pytest.fixture
def unit(stack):
    return stack.as_(Role.UNIT, unit=s.UNIT)


async def _state(stack) -> s.Stored:
    return await s.stored(stack.pool("submissions"), stack.settings.blobs)


async def _refused(
    stack, unit_clients, data: bytes, code: grpc.StatusCode, *, reason: str = "", **kwargs
) -> str:
    """Upload expecting `code`; asserts nothing was stored; returns the message."""
    before = await _state(stack)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await s.upload(unit_clients, data, **kwargs)
    assert err.value.code() == code, err.value.details()
    if reason:
        assert error_reason(err.value) == reason
    after = await _state(stack)
    assert after == before
    assert after.temp_files == ()
    return err.value.details()


# -- accepted uploads ----------------------------------------------------------------------------


async def test_upload_stores_the_bytes_under_their_hash_and_commits_one_row_and_outbox_event(
    stack, unit
):
    data = s.pdf(300 * 1024)
    response = await s.upload(
        unit, data, file_name=" 年度工作计划.pdf ", effective_date="2026-06-30"
    )
    sub = response.submission
    assert not response.deduplicated
    assert (sub.cycle_code, sub.unit_code, sub.evidence_key, sub.version) == (
        s.CYCLE,
        s.UNIT,
        s.KEY,
        1,
    )
    assert (sub.format, sub.size_bytes, sub.sha256) == (
        "pdf",
        len(data),
        hashlib.sha256(data).hexdigest(),
    )
    assert (
        sub.file_name == "年度工作计划.pdf" and sub.effective_date == "2026-06-30" and sub.current
    )
    assert sub.submitted_by == f"unit:{s.UNIT}"
    state = await _state(stack)
    assert (state.submissions, state.outbox, state.blobs, state.temp_files) == (
        1,
        1,
        (sub.sha256,),
        (),
    )
    assert (stack.settings.blobs / "sha256" / sub.sha256[:2] / sub.sha256).read_bytes() == data
    row = await stack.pool("submissions").fetchrow(
        "SELECT workflow_id, signal, payload FROM outbox"
    )
    assert row["workflow_id"] == f"cycle/{s.CYCLE}/unit/{s.UNIT}"
    assert row["signal"] == "evidence_submitted"
    assert row["payload"]["submission_id"] == sub.id and row["payload"]["version"] == 1
    chain = await audit.verify(stack.pool("submissions"))
    assert chain.ok and chain.entries == 2  # collection opened, evidence submitted


async def test_alias_key_folds_into_its_canonical_ask(stack, unit):
    response = await s.upload(
        unit,
        s.sample("xlsx"),
        key="hidden-danger-rectification-ledger",
        fmt="xlsx",
        file_name="ledger.xlsx",
    )
    assert response.submission.evidence_key == "rectification-ledger"


async def test_each_new_upload_is_a_new_version_and_older_versions_stay_readable(stack, unit):
    first = (await s.upload(unit, s.pdf(seed="v1"))).submission
    second = (await s.upload(unit, s.ooxml("docx"), fmt="docx", file_name="plan.docx")).submission
    assert (first.version, second.version) == (1, 2)
    auditor = stack.as_(Role.AUDITOR)
    old = await auditor.submissions.GetSubmission(pb.GetSubmissionRequest(submission_id=first.id))
    assert old.submission.version == 1 and not old.submission.current
    listed = await auditor.submissions.ListSubmissions(
        pb.ListSubmissionsRequest(cycle_code=s.CYCLE, unit_code=s.UNIT)
    )
    assert [x.version for x in listed.submissions] == [2, 1]
    assert [x.current for x in listed.submissions] == [True, False]


async def test_identical_bytes_to_the_current_version_store_nothing(stack, unit):
    data = s.pdf(seed="same")
    first = await s.upload(unit, data)
    before = await _state(stack)
    again = await s.upload(unit, data, file_name="renamed.pdf")
    assert again.deduplicated and again.submission.id == first.submission.id
    assert await _state(stack) == before


async def test_bytes_equal_to_an_older_version_make_a_new_version(stack, unit):
    a, b = s.pdf(seed="a"), s.pdf(seed="b")
    await s.upload(unit, a)
    await s.upload(unit, b)
    third = await s.upload(unit, a)
    assert not third.deduplicated and third.submission.version == 3
    assert len((await _state(stack)).blobs) == 2  # content-addressed: a is stored once


async def test_a_first_submission_after_the_deadline_is_accepted_and_late(stack, unit):
    await s.open_window(
        stack.admin,
        deadline=timedelta(minutes=-1),
        closes=timedelta(days=1),
        opens=timedelta(days=-2),
    )
    await s.upload(unit, s.pdf())
    status = await unit.submissions.GetAskStatus(
        pb.GetAskStatusRequest(cycle_code=s.CYCLE, unit_code=s.UNIT)
    )
    states = {a.evidence_key: a.state for a in status.asks}
    assert states[s.KEY] == pb.ASK_STATE_LATE
    assert states["annual-work-summary"] == pb.ASK_STATE_MISSING


# -- bad input: clear status, nothing left behind --------------------------------------------------


async def test_not_an_ask_of_this_unit(stack, unit):
    # inspection-records is asked of departments only, not of townships
    message = await _refused(
        stack,
        unit,
        s.pdf(),
        grpc.StatusCode.NOT_FOUND,
        reason="ASK_NOT_FOUND",
        key="inspection-records",
    )
    assert message.startswith("evidence_key:") and "not an ask of unit 'baiquan-town'" in message


async def test_a_unit_may_not_upload_for_another_unit(stack, unit):
    message = await _refused(
        stack, unit, s.pdf(), grpc.StatusCode.PERMISSION_DENIED, unit=s.OTHER_UNIT
    )
    assert "may not act for unit 'ganlan-town'" in message


async def test_cycle_not_collecting(tmp_path, database_url):
    settings = make_settings(tmp_path / "home", database_url)
    stack = await start_stack(settings, ("indicators", "submissions"))
    try:
        await s.fold_example(stack.admin)  # folded, but collection never opened
        unit = stack.as_(Role.UNIT, unit=s.UNIT)
        message = await _refused(
            stack, unit, s.pdf(), grpc.StatusCode.FAILED_PRECONDITION, reason="COLLECTION_NOT_OPEN"
        )
        assert "not collecting" in message
    finally:
        await stop_stack(stack)


async def test_before_collection_opens(stack, unit):
    await s.open_window(stack.admin, opens=timedelta(hours=1), deadline=timedelta(days=1))
    await _refused(
        stack, unit, s.pdf(), grpc.StatusCode.FAILED_PRECONDITION, reason="COLLECTION_NOT_OPEN"
    )


async def test_ask_locked_after_closes_at_unless_extended(stack, unit):
    await s.open_window(
        stack.admin,
        opens=timedelta(days=-3),
        deadline=timedelta(days=-2),
        closes=timedelta(seconds=-1),
    )
    message = await _refused(
        stack, unit, s.pdf(), grpc.StatusCode.FAILED_PRECONDITION, reason="ASK_LOCKED"
    )
    assert message.startswith("evidence_key:") and "locked" in message
    tomorrow = timestamp(datetime.now(UTC) + timedelta(days=1))
    await stack.admin.submissions.ExtendUnit(
        pb.ExtendUnitRequest(
            request_id="x1", cycle_code=s.CYCLE, unit_code=s.UNIT, deadline=tomorrow, reason="flood"
        )
    )
    response = await s.upload(unit, s.pdf())
    assert response.submission.version == 1
    other = stack.as_(Role.UNIT, unit=s.OTHER_UNIT)
    await _refused(
        stack,
        other,
        s.pdf(),
        grpc.StatusCode.FAILED_PRECONDITION,
        reason="ASK_LOCKED",
        unit=s.OTHER_UNIT,
    )


async def test_zero_bytes(stack, unit):
    message = await _refused(stack, unit, b"", grpc.StatusCode.INVALID_ARGUMENT)
    assert "size_bytes: must be positive" in message


async def test_over_the_size_limit_declared(stack, unit):
    data = s.pdf(1024 * 1024 + 1)
    message = await _refused(stack, unit, data, grpc.StatusCode.INVALID_ARGUMENT)
    assert "over the limit of 1048576 bytes" in message


async def test_more_bytes_streamed_than_declared(stack, unit):
    data = s.pdf(200 * 1024)
    head = s.header(data, size_bytes=100 * 1024, with_sha256=False)
    before = await _state(stack)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await unit.submissions.Upload(s.messages(head, data))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "more bytes were streamed than the declared 102400" in err.value.details()
    assert await _state(stack) == before


async def test_fewer_bytes_streamed_than_declared(stack, unit):
    data = s.pdf(10 * 1024)
    head = s.header(data, size_bytes=len(data) + 1, with_sha256=False)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await unit.submissions.Upload(s.messages(head, data))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_reason(err.value) == "SIZE_MISMATCH"
    state = await _state(stack)
    assert (state.submissions, state.blobs, state.temp_files) == (0, (), ())


async def test_sha256_not_matching(stack, unit):
    message = await _refused(
        stack,
        unit,
        s.pdf(),
        grpc.StatusCode.INVALID_ARGUMENT,
        reason="SHA256_MISMATCH",
        sha256="0" * 64,
    )
    assert message.startswith("sha256: declared 000")


@pytest.mark.parametrize(
    ("fmt", "data", "seen"),
    [
        ("pdf", s.sample("png"), "png"),
        ("pdf", b"just some text, not a PDF at all", "unrecognised bytes"),
        ("docx", s.ooxml("xlsx"), "xlsx"),
        ("docx", s.pdf(), "pdf"),
        ("pdf", s.pdf()[:-7], "a truncated PDF"),
    ],
)
async def test_content_not_of_the_declared_format(stack, unit, fmt, data, seen):
    message = await _refused(
        stack,
        unit,
        data,
        grpc.StatusCode.INVALID_ARGUMENT,
        reason="FORMAT_MISMATCH",
        fmt=fmt,
        file_name="x",
    )
    assert message.startswith(f"declared_format: declared {fmt} but the bytes are {seen}")


async def test_a_format_the_ask_does_not_accept(stack, unit):
    message = await _refused(
        stack, unit, s.sample("mp4"), grpc.StatusCode.INVALID_ARGUMENT, fmt="mp4"
    )
    assert "annual-work-plan accepts" in message and message.endswith(", not mp4")


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../../etc/passwd", "not a path"),
        ("reports/plan.pdf", "not a path"),
        ("C:\\plan.pdf", "not a path"),
        ("..", "must not contain '..'"),
        ("plan\x00.pdf", "NUL or control characters"),
        ("plan\n.pdf", "NUL or control characters"),
        ("计" * 86, "at most 255 bytes"),  # 258 bytes in UTF-8
        ("   ", "is required"),
    ],
)
async def test_bad_file_names(stack, unit, name, why):
    message = await _refused(stack, unit, s.pdf(), grpc.StatusCode.INVALID_ARGUMENT, file_name=name)
    assert "file_name: " in message and why in message


async def test_a_header_must_come_first_and_only_once(stack, unit):
    data = s.pdf()

    async def chunk_first():
        yield pb.UploadRequest(chunk=data)

    async def two_headers():
        yield pb.UploadRequest(header=s.header(data))
        yield pb.UploadRequest(header=s.header(data))

    for stream in (chunk_first(), two_headers()):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await unit.submissions.Upload(stream)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert err.value.details().startswith("header:")
    assert (await _state(stack)).submissions == 0


async def test_a_client_that_cancels_mid_stream_leaves_nothing(stack, unit):
    data = s.pdf(900 * 1024)
    head = s.header(data)
    sent_some = asyncio.Event()

    async def stalls():
        yield pb.UploadRequest(header=head)
        for start in range(0, 512 * 1024, s.CHUNK):
            yield pb.UploadRequest(chunk=data[start : start + s.CHUNK])
        sent_some.set()
        await asyncio.sleep(3600)

    call = unit.submissions.Upload(stalls())
    temp_dir = stack.settings.blobs / "tmp"
    for _ in range(3000):  # the server has begun writing the temporary file (60 s at most)
        if list(temp_dir.rglob("*.part")):
            break
        await asyncio.sleep(0.02)
    else:
        pytest.fail("the upload never reached the server's temporary file")
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    for _ in range(3000):  # the server's clean-up, however busy the machine (60 s at most)
        if not list(temp_dir.rglob("*.part")):
            break
        await asyncio.sleep(0.02)
    state = await _state(stack)
    assert (state.submissions, state.outbox, state.blobs, state.temp_files) == (0, 0, (), ())


# -- idempotency -----------------------------------------------------------------------------------


async def test_same_request_id_and_content_returns_the_same_response(stack, unit):
    data = s.pdf()
    first = await s.upload(unit, data, request_id="req-1")
    await s.upload(
        unit, s.pdf(seed="newer")
    )  # a later version; the replay still answers the original
    again = await s.upload(unit, data, request_id="req-1")
    assert again == first
    assert (await _state(stack)).submissions == 2


async def test_same_request_id_with_different_content_is_invalid(stack, unit):
    await s.upload(unit, s.pdf(seed="one"), request_id="req-2")
    message = await _refused(
        stack, unit, s.pdf(seed="two"), grpc.StatusCode.INVALID_ARGUMENT, request_id="req-2"
    )
    assert (
        message.startswith("request_id:")
        and "already used for a different Upload request" in message
    )


async def test_concurrent_duplicates_make_exactly_one_submission(stack, unit):
    data = s.pdf(256 * 1024)
    results = await asyncio.gather(*(s.upload(unit, data, request_id="req-3") for _ in range(6)))
    assert len({r.submission.id for r in results}) == 1
    state = await _state(stack)
    assert (state.submissions, state.outbox, len(state.blobs), state.temp_files) == (1, 1, 1, ())


async def test_concurrent_uploads_of_different_bytes_get_distinct_versions(stack, unit):
    results = await asyncio.gather(*(s.upload(unit, s.pdf(seed=str(i))) for i in range(5)))
    assert sorted(r.submission.version for r in results) == [1, 2, 3, 4, 5]
    status = await unit.submissions.GetAskStatus(
        pb.GetAskStatusRequest(cycle_code=s.CYCLE, unit_code=s.UNIT)
    )
    ask = next(a for a in status.asks if a.evidence_key == s.KEY)
    assert ask.versions == 5
    assert ask.current_submission_id == next(
        r.submission.id for r in results if r.submission.version == 5
    )


async def test_without_request_id_each_upload_is_its_own(stack, unit):
    first = await s.upload(unit, s.pdf(seed="a"), request_id="")
    second = await s.upload(unit, s.pdf(seed="b"), request_id="")
    assert first.submission.id != second.submission.id
