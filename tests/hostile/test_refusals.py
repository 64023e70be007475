"""Hostile callers with valid tokens: every case of issue 13 is refused with the right status,
promptly, without echoing the input, without writing anything, and the services stay
SERVING with bounded memory."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import uuid
import zipfile

import asyncpg
import grpc
import pytest

from oneassess.client import retry, uploads
from oneassess.indicators.v1 import indicators_service_pb2 as ipb
from oneassess.scoring.v1 import scoring_service_pb2 as cpb
from oneassess.submissions.v1 import submissions_service_pb2 as pb
from services.common.auth import Role
from tests.hostile.conftest import all_serving, refused, row_counts
from tests.support import submissions as s

pytestmark = pytest.mark.hostile

INVALID = grpc.StatusCode.INVALID_ARGUMENT
SAFETY = "emergency-bureau"  # the work-safety assessors' department


def rid() -> str:
    return str(uuid.uuid4())


@pytest.fixture
async def unchanged(hostile):
    """Every table's row count before the test; the test's refusals must leave them equal."""
    before = await row_counts(hostile)
    yield
    assert await row_counts(hostile) == before
    assert await all_serving(hostile)


def unit(stack):
    return stack.as_(Role.UNIT, unit=s.UNIT)


# -- evidence: inspected by its declared format only ---------------------------------------------


async def _an_ask_accepting(stack, fmt: str) -> tuple[str, str]:
    """(unit code, evidence key) of an ask of the sample cycle that accepts `fmt`."""
    catalogue = (
        await stack.admin.indicators.GetCatalogue(ipb.GetCatalogueRequest(cycle_code=s.CYCLE))
    ).catalogue
    for kind in catalogue.asks_by_kind:
        for ask in kind.asks:
            if fmt in ask.formats:
                unit_code = next(u.code for u in catalogue.units if u.kind == kind.kind)
                return unit_code, ask.evidence_key
    raise AssertionError(f"no ask accepts {fmt}")


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (b"[" * 30_000, "pdf"),  # the 30 KB file that took the service to 597 MB
        (b"[" * 1_800_000, "pdf"),  # 1.8 MB: about 23 GB before the kernel killed it
        (b"[" * 1_800_000, "json"),  # declared JSON: parsed, but only 64 levels deep
        (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "json"),
    ],
)
async def test_nested_brackets_are_refused_as_not_the_declared_format(
    hostile, unchanged, data, fmt
):
    unit_code, key = await _an_ask_accepting(hostile, fmt)
    err = await refused(
        s.upload(
            hostile.as_(Role.UNIT, unit=unit_code),
            data,
            unit=unit_code,
            fmt=fmt,
            key=key,
            file_name=f"f.{fmt}",
        ),
        INVALID,
        field="declared_format",
    )
    assert "declared" in err.details()


# -- scoring numbers: bounded before any exact conversion -----------------------------------------


@pytest.mark.parametrize("weight", ["1e1000000", "1e10000000", "9" * 5000, "1e-999999", "NaN"])
async def test_preview_weights_refuses_huge_numbers_fast(hostile, unchanged, weight):
    await refused(
        hostile.as_(Role.AUDITOR).scoring.PreviewWeights(
            cpb.PreviewWeightsRequest(cycle_code=s.CYCLE, weights={"work-safety": weight})
        ),
        INVALID,
    )


def _review_sheet(cell: str) -> bytes:
    rows = [
        "unit_code,special_assessment_code,indicator_code,items_met,value,comment",
        f"{s.UNIT},work-safety,ws-01,{cell},,",
    ]
    return ("\n".join(rows) + "\n").encode()


@pytest.mark.parametrize("cell", ["1e300000", "1e1000000", "9" * 4000])
async def test_import_reviews_refuses_huge_cells_fast(hostile, unchanged, cell):
    await refused(
        hostile.as_(Role.ASSESSOR, department=SAFETY).scoring.ImportReviews(
            cpb.ImportReviewsRequest(
                request_id=rid(),
                cycle_code=s.CYCLE,
                file=cpb.ReviewFile(name="reviews.csv", content=_review_sheet(cell)),
            )
        ),
        INVALID,
    )


def _xlsx_of_rows(rows: int) -> bytes:
    """A minimal valid workbook of `rows` one-cell rows, written directly (openpyxl would take
    a minute to write 600,000 rows)."""
    sheet = io.BytesIO()
    sheet.write(
        b'<?xml version="1.0" encoding="UTF-8"?><worksheet '
        b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    )
    for r in range(1, rows + 1):
        sheet.write(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>x</t></is></c></row>' % (r, r))
    sheet.write(b"</sheetData></worksheet>")
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
            "schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
            '" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats'
            '.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships"><sheets><sheet name="reviews" sheetId="1" '
            'r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
            'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target='
            '"worksheets/sheet1.xml"/></Relationships>'
        ),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", sheet.getvalue())
    return out.getvalue()


@pytest.fixture(scope="module")
def huge_workbook() -> bytes:
    return _xlsx_of_rows(600_000)


async def test_import_reviews_stops_at_the_row_limit_before_reading_the_rows(
    hostile, unchanged, huge_workbook
):
    err = await refused(
        hostile.as_(Role.ASSESSOR, department=SAFETY).scoring.ImportReviews(
            cpb.ImportReviewsRequest(
                request_id=rid(),
                cycle_code=s.CYCLE,
                file=cpb.ReviewFile(name="reviews.xlsx", content=huge_workbook),
            )
        ),
        INVALID,
    )
    assert "rows" in err.details()


async def test_indicators_excel_import_stops_at_the_row_limit(hostile, unchanged, huge_workbook):
    err = await refused(
        hostile.admin.indicators.ImportUnits(
            ipb.ImportUnitsRequest(
                file=ipb.SourceFile(
                    name="units.xlsx", content=huge_workbook, format=ipb.SOURCE_FORMAT_XLSX
                )
            )
        ),
        INVALID,
    )
    assert "rows" in err.details()


# -- extension requests: bounded reason ------------------------------------------------------------


async def test_a_huge_extension_reason_is_refused(hostile, unchanged):
    err = await refused(
        unit(hostile).submissions.RequestExtension(
            pb.RequestExtensionRequest(
                request_id=rid(),
                cycle_code=s.CYCLE,
                unit_code=s.UNIT,
                days=3,
                reason="x" * 3_000_000,
            )
        ),
        INVALID,
        field="reason",
    )
    assert "3000000 characters" in err.details()


# -- identifiers, text, times, page tokens ---------------------------------------------------------


async def test_a_100000_character_cycle_code_is_invalid_with_a_short_message(hostile, unchanged):
    for call in (
        hostile.admin.indicators.GetCycle(ipb.GetCycleRequest(cycle_code="c" * 100_000)),
        hostile.admin.submissions.ListSubmissions(
            pb.ListSubmissionsRequest(cycle_code="c" * 100_000)
        ),
        hostile.admin.scoring.ListScores(cpb.ListScoresRequest(cycle_code="c" * 100_000)),
    ):
        err = await refused(call, INVALID, field="cycle_code")
        assert "100000 characters" in err.details()


@pytest.mark.parametrize("bad", ["a\x00b", "line\nbreak", "rtl\u202eevil", " padded"])
async def test_control_characters_in_ids_are_invalid(hostile, unchanged, bad):
    await refused(
        hostile.admin.indicators.GetCycle(ipb.GetCycleRequest(cycle_code=bad)),
        INVALID,
        field="cycle_code",
    )
    await refused(
        hostile.admin.submissions.GetSubmission(pb.GetSubmissionRequest(submission_id=bad)),
        INVALID,
        field="submission_id",
    )
    # Through a peer: scoring asks indicators about the cycle; never UNAVAILABLE "retry".
    await refused(
        hostile.admin.scoring.ComputeScores(
            cpb.ComputeScoresRequest(request_id=rid(), cycle_code=bad)
        ),
        INVALID,
        field="cycle_code",
    )


async def test_nul_in_free_text_is_invalid(hostile, unchanged):
    await refused(
        unit(hostile).submissions.RequestExtension(
            pb.RequestExtensionRequest(
                request_id=rid(), cycle_code=s.CYCLE, unit_code=s.UNIT, days=3, reason="a\x00b"
            )
        ),
        INVALID,
        field="reason",
    )


@pytest.mark.parametrize("seconds", [10**12, -(10**12), 253_402_300_800])
async def test_out_of_range_timestamps_are_invalid(hostile, unchanged, seconds):
    from google.protobuf.timestamp_pb2 import Timestamp

    await refused(
        hostile.admin.submissions.CloseCollection(
            pb.CloseCollectionRequest(
                request_id=rid(), cycle_code=s.CYCLE, closes_at=Timestamp(seconds=seconds)
            )
        ),
        INVALID,
        field="closes_at",
    )


def _token(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


CRAFTED_TOKENS = [
    "!!!not base64!!!",
    _token({"after": -5}),
    _token(["submissions", "not a time", "x"]),
    _token(["asks", "a\u0000", "b"]),
    _token(["units", 5]),
    _token([1, 2, 3]),
    _token({"run": -1, "group": "g", "rank": -3, "unit": "u"}),
    _token(["units", "x" * 600]),
    "A" * 5000,
]


@pytest.mark.parametrize("token", CRAFTED_TOKENS)
async def test_crafted_page_tokens_are_invalid(hostile, unchanged, token):
    admin = hostile.admin
    for call in (
        admin.indicators.ListUnits(ipb.ListUnitsRequest(page_token=token)),
        admin.indicators.ListAsks(
            ipb.ListAsksRequest(cycle_code=s.CYCLE, unit_code=s.UNIT, page_token=token)
        ),
        admin.submissions.ListSubmissions(
            pb.ListSubmissionsRequest(cycle_code=s.CYCLE, page_token=token)
        ),
        admin.submissions.ListNotifications(
            pb.ListNotificationsRequest(cycle_code=s.CYCLE, page_token=token)
        ),
        admin.submissions.ListDeadLetters(pb.ListDeadLettersRequest(page_token=token)),
        admin.scoring.ListClaims(cpb.ListClaimsRequest(cycle_code=s.CYCLE, page_token=token)),
        admin.scoring.ListScores(cpb.ListScoresRequest(cycle_code=s.CYCLE, page_token=token)),
    ):
        await refused(call, INVALID, field="page_token")


# -- stored file names -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["report\u202efdp.exe", "CON.pdf", "nul.pdf", "Com1.pdf", ".bashrc", "a\u200bb.pdf", "x.pdf."],
)
async def test_file_names_that_disguise_or_name_devices_are_refused(hostile, unchanged, name):
    await refused(s.upload(unit(hostile), s.pdf(), file_name=name), INVALID, field="file_name")


# -- per-caller resource bounds --------------------------------------------------------------------


async def _header_only(stack, release: asyncio.Event, request_id: str):
    """An upload that sends its header, then nothing until `release`."""

    async def requests():
        data = s.pdf()
        yield pb.UploadRequest(header=s.header(data, request_id=request_id))
        await release.wait()

    return await unit(stack).submissions.Upload(requests())


async def _trickle(stack, request_id: str):
    """An upload that keeps sending one byte at a time (never idle), until cancelled."""

    async def requests():
        data = s.pdf()
        yield pb.UploadRequest(header=s.header(data, request_id=request_id))
        for i in range(len(data)):
            yield pb.UploadRequest(chunk=data[i : i + 1])
            await asyncio.sleep(0.2)

    return await unit(stack).submissions.Upload(requests())


def _in_flight(stack) -> int:
    servicer_uploads = [
        v for v in _servicer(stack)._uploading.values()
    ]  # caller -> uploads in flight
    return sum(servicer_uploads)


def _servicer(stack):
    import gc

    from services.submissions.servicer import SubmissionsServicer

    runtime = stack.running["submissions"].runtime
    return next(
        o for o in gc.get_objects() if isinstance(o, SubmissionsServicer) and o.rt is runtime
    )


async def _until(condition) -> None:
    """Wait (at most 30 s) until `condition()` holds."""
    async with asyncio.timeout(30):
        while True:
            if condition():
                return
            await asyncio.sleep(0.02)


async def test_a_stream_that_only_sent_its_header_is_dropped(hostile, unchanged):
    # The module's stack drops a stream idle for 2 s (ONEASSESS_UPLOAD_IDLE_SECONDS).
    release = asyncio.Event()
    try:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await asyncio.wait_for(_header_only(hostile, release, rid()), timeout=30)
        assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        assert "sent nothing" in err.value.details()
        assert _in_flight(hostile) == 0
        blobs = hostile.settings.home / "blobs" / "tmp"
        leftovers = [p for p in blobs.rglob("*") if p.is_file() and p.suffix != ".lock"]
        assert leftovers == []
    finally:
        release.set()


async def test_concurrent_uploads_per_caller_are_capped(hostile, unchanged):
    cap = hostile.running["submissions"].runtime.settings.uploads_per_caller
    held = [asyncio.create_task(_trickle(hostile, rid())) for _ in range(cap)]
    try:
        await _until(lambda: _in_flight(hostile) == cap)
        err = await refused(s.upload(unit(hostile), s.pdf()), grpc.StatusCode.RESOURCE_EXHAUSTED)
        assert f"{cap} uploads in progress" in err.details()
        # Another caller is not held back by this one's uploads: refused only for its content.
        other = hostile.as_(Role.UNIT, unit=s.OTHER_UNIT)
        await refused(
            s.upload(other, s.pdf(), unit=s.OTHER_UNIT, file_name="CON.pdf"),
            INVALID,
            field="file_name",
        )
    finally:
        for task in held:
            task.cancel()
        await asyncio.gather(*held, return_exceptions=True)
    await _until(lambda: _in_flight(hostile) == 0)


async def test_a_client_upload_refused_at_the_cap_waits_its_turn_and_lands_once(hostile):
    """The client package's upload, refused while its caller's cap is full, waits and is
    stored once the cap frees. The refusal may reach a client still streaming its file, where
    grpc reports INTERNAL in place of the server's RESOURCE_EXHAUSTED; both are waited out."""
    cap = hostile.running["submissions"].runtime.settings.uploads_per_caller
    held = [asyncio.create_task(_trickle(hostile, rid())) for _ in range(cap)]
    waits: list[grpc.StatusCode] = []
    data = s.pdf(size=4 * 1024 * 1024, seed=rid())  # big enough to be mid-stream when refused
    policy = retry.RetryPolicy(total_seconds=90, initial_seconds=0.1, max_wait_seconds=0.5)
    try:
        await _until(lambda: _in_flight(hostile) == cap)
        landing = asyncio.create_task(
            uploads.upload(
                unit(hostile).submissions, s.header(data), data, policy=policy,
                on_retry=lambda waiting: waits.append(waiting.error.code()),
            )
        )  # fmt: skip
        await _until(lambda: bool(waits))
    finally:
        for task in held:
            task.cancel()
        await asyncio.gather(*held, return_exceptions=True)
    reply = await asyncio.wait_for(landing, timeout=90)
    assert set(waits) <= {grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.INTERNAL}, waits
    conn = await asyncpg.connect(hostile.settings.database_url)
    try:
        stored = await conn.fetchval(
            "SELECT count(*) FROM submissions.submissions WHERE sha256 = $1",
            reply.submission.sha256,
        )
    finally:
        await conn.close()
    assert stored == 1


def test_only_a_send_cut_short_by_the_server_counts_as_interrupted():
    def error(code, details, debug=""):
        return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details, debug)

    core = error(grpc.StatusCode.INTERNAL, "Internal error from Core", 'Failed "execute_batch"')
    assert retry.send_interrupted(core)
    assert not retry.send_interrupted(error(grpc.StatusCode.INTERNAL, "a bug in the handler"))
    unavailable = error(grpc.StatusCode.UNAVAILABLE, "Internal error from Core")
    assert not retry.send_interrupted(unavailable)
    assert not retry.retryable(core)  # only uploads, whose stream stored nothing, send it again


async def test_request_size_is_limited_on_every_service(hostile, unchanged):
    too_big = b"x" * (35 * 1024 * 1024)  # over the 34 MiB a request may be
    await refused(
        hostile.admin.indicators.ImportUnits(
            ipb.ImportUnitsRequest(file=ipb.SourceFile(name="u.yaml", content=too_big))
        ),
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        memory=False,  # the 35 MiB are this process's own, as the caller
    )
    await refused(
        hostile.as_(Role.ASSESSOR, department=SAFETY).scoring.ImportReviews(
            cpb.ImportReviewsRequest(
                cycle_code=s.CYCLE, file=cpb.ReviewFile(name="r.csv", content=too_big)
            )
        ),
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        memory=False,  # the 35 MiB are this process's own, as the caller
    )
    await refused(
        hostile.admin.submissions.StoreHistoryExport(
            pb.StoreHistoryExportRequest(history_json=too_big)
        ),
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        memory=False,  # the 35 MiB are this process's own, as the caller
    )
