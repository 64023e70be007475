"""Pure rules of the submissions service: formats by bytes, file names, upload headers, stream
tallies, windows and ask states, the ask index; and the local blob store."""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oneassess.indicators.v1 import indicators_service_pb2 as ipb
from oneassess.submissions.v1 import submissions_service_pb2 as pb
from services.common.auth import Principal, Role
from services.common.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from services.submissions import formats, model
from services.submissions.asks import AskIndex
from services.submissions.blobstore import LocalBlobStore
from tests.support import submissions as s

# -- formats -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", formats.FORMATS)
def test_each_supported_format_is_recognised_by_its_bytes(tmp_path, fmt):
    path = tmp_path / "file.bin"
    path.write_bytes(s.sample(fmt))
    assert formats.judge(path, fmt).format == fmt
    assert formats.require(path, fmt) == fmt
    assert formats.require(s.sample(fmt), fmt) == fmt  # a small upload, judged in memory


@pytest.mark.parametrize(
    ("data", "declared", "seen"),
    [
        (b"PK\x03\x04" + b"\x00" * 40, "docx", "a damaged ZIP archive"),
        (
            s.ooxml("docx").replace(b"word/document.xml", b"word/other___.xml"),
            "docx",
            "neither a Word document",
        ),
        (b'{"a": 1} trailing', "json", "malformed JSON"),
        (b"[1, 2", "json", "malformed JSON"),
        (b"%PDF-1.7\nno trailer", "pdf", "a truncated PDF"),
        (b"GIF89a" + b"\x00" * 32, "pdf", "gif data"),
        (b"hello", "pdf", "unrecognised bytes"),
        # JSON is never parsed unless declared: nested brackets declared as a PDF are just bytes.
        (b"[" * 30_000, "pdf", "unrecognised bytes"),
        (b"[" * 100 + b"]" * 100, "json", "malformed JSON"),
    ],
)
def test_bytes_that_are_not_the_declared_format(tmp_path, data, declared, seen):
    path = tmp_path / "file.bin"
    path.write_bytes(data)
    judged = formats.judge(path, declared)
    assert judged.format is None and seen in judged.seen
    assert formats.judge(data, declared) == judged  # the same verdict on the bytes in memory
    with pytest.raises(InvalidArgument) as err:
        formats.require(path, declared)
    assert err.value.reason == "FORMAT_MISMATCH" and str(err.value).startswith(
        f"declared_format: declared {declared}"
    )


@given(
    st.one_of(
        st.binary(max_size=300),
        st.sampled_from([s.sample(f) for f in formats.FORMATS]).flatmap(
            lambda good: st.integers(0, len(good)).map(lambda cut: good[:cut])
        ),
    ),
    st.sampled_from(formats.FORMATS),
)
def test_bytes_in_memory_and_on_disk_get_the_same_verdict(data, declared):
    import tempfile

    with tempfile.NamedTemporaryFile() as f:
        f.write(data)
        f.flush()
        assert formats.judge(data, declared) == formats.judge(Path(f.name), declared)


def test_declared_formats_are_normalised_or_refused():
    assert formats.normalise(" .PDF ") == "pdf"
    assert formats.normalise("JPEG") == "jpg"
    for bad in ("", "exe", "pdf/a"):
        with pytest.raises(InvalidArgument) as err:
            formats.normalise(bad)
        assert str(err.value).startswith("declared_format:")


def test_json_must_be_an_object_or_array():
    import io

    assert formats.is_json(io.BytesIO(b' [{"a": "\xe4\xbd\xa0"}] '))
    assert not formats.is_json(io.BytesIO(b'"just a string"'))
    assert not formats.is_json(io.BytesIO(b"\xff\xfe{}"))
    assert formats.is_json(io.BytesIO(b"[" * 64 + b"]" * 64))
    assert not formats.is_json(io.BytesIO(b"[" * 65 + b"]" * 65))
    assert not formats.is_json(io.BytesIO(b"[" * 2_000_000))


# -- file names and headers --------------------------------------------------------------------


@given(st.text(max_size=300))
def test_an_accepted_file_name_can_never_act_as_a_path(name):
    try:
        clean = model.sanitise_file_name(name)
    except InvalidArgument as err:
        assert err.violations[0].field == "file_name"
        return
    assert clean and clean == clean.strip()
    assert "/" not in clean and "\\" not in clean and ".." not in clean
    assert not any(unicodedata.category(c) == "Cc" for c in clean)
    assert len(clean.encode()) <= 255
    assert Path(clean).name == clean


def test_file_names_are_kept_as_the_unit_knows_them():
    assert (
        model.sanitise_file_name("  2026 年度工作计划 (final).pdf ")
        == "2026 年度工作计划 (final).pdf"
    )
    decomposed = unicodedata.normalize("NFD", "é.pdf")
    assert model.sanitise_file_name(decomposed) == "é.pdf"


def test_a_header_reports_every_problem_at_once():
    head = pb.UploadHeader(
        cycle_code="", unit_code="u", evidence_key="k", file_name="../x", declared_format="exe",
        size_bytes=0, sha256="xyz", effective_date="2026-13-01",
    )  # fmt: skip
    with pytest.raises(InvalidArgument) as err:
        model.plan_upload(head, max_bytes=100)
    fields = [v.field for v in err.value.violations]
    assert fields == [
        "cycle_code",
        "file_name",
        "declared_format",
        "size_bytes",
        "sha256",
        "effective_date",
    ]


def test_a_valid_header_becomes_a_plan():
    data = b"%PDF"
    head = s.header(data, file_name="a.pdf", fmt="PDF", effective_date="2026-06-30")
    plan = model.plan_upload(head, max_bytes=100)
    assert plan.declared_format == "pdf" and plan.size_bytes == 4
    assert (
        plan.sha256 == hashlib.sha256(data).hexdigest()
        and plan.effective_date.isoformat() == "2026-06-30"
    )


@given(st.lists(st.binary(max_size=64), max_size=20), st.integers(min_value=1, max_value=2000))
def test_the_tally_accepts_exactly_the_declared_bytes(chunks, declared):
    tally = model.StreamTally(declared)
    total = 0
    try:
        for chunk in chunks:
            tally.add(chunk)
            total += len(chunk)
        digest = hashlib.sha256(b"".join(chunks)).hexdigest()
        tally.finish(digest, digest)
    except InvalidArgument as err:
        assert err.reason == "SIZE_MISMATCH" and sum(map(len, chunks)) != declared
        return
    assert total == declared


def test_a_chunk_over_one_mebibyte_is_refused():
    with pytest.raises(InvalidArgument) as err:
        model.StreamTally(10**9).add(b"\x00" * (1024 * 1024 + 1))
    assert str(err.value).startswith("chunk:")


# -- windows and ask states --------------------------------------------------------------------

T0 = datetime(2026, 11, 1, tzinfo=UTC)
CYCLE_WINDOW = model.Window(T0, T0 + timedelta(days=60), T0 + timedelta(days=70))


def test_uploads_are_accepted_from_opens_at_until_before_closes_at():
    model.require_collecting("c", "u", CYCLE_WINDOW, T0)
    model.require_collecting(
        "c", "u", CYCLE_WINDOW, CYCLE_WINDOW.closes_at - timedelta(microseconds=1)
    )
    for moment, reason in (
        (T0 - timedelta(seconds=1), "COLLECTION_NOT_OPEN"),
        (CYCLE_WINDOW.closes_at, "ASK_LOCKED"),
    ):
        with pytest.raises(FailedPrecondition) as err:
            model.require_collecting("c", "u", CYCLE_WINDOW, moment)
        assert err.value.reason == reason
    with pytest.raises(FailedPrecondition):
        model.require_collecting("c", "u", None, T0)


def test_an_extension_overrides_the_cycle_window_for_its_unit():
    later = (T0 + timedelta(days=80), T0 + timedelta(days=85))
    window = model.unit_window(CYCLE_WINDOW, later)
    assert (window.opens_at, window.deadline, window.closes_at) == (T0, *later)
    assert model.unit_window(CYCLE_WINDOW, None) == CYCLE_WINDOW


def test_closing_early_pulls_the_deadline_with_it():
    closed = model.closed_window(CYCLE_WINDOW, T0 + timedelta(days=30))
    assert closed.deadline == closed.closes_at == T0 + timedelta(days=30)
    assert model.closed_window(CYCLE_WINDOW, T0 - timedelta(days=1)).closes_at == T0


@given(st.integers(min_value=-10_000, max_value=10_000))
def test_a_first_submission_is_late_exactly_when_after_the_deadline(offset_seconds):
    deadline = CYCLE_WINDOW.deadline
    state = model.ask_state(deadline + timedelta(seconds=offset_seconds), deadline)
    assert state == (model.LATE if offset_seconds > 0 else model.SUBMITTED)
    assert model.ask_state(None, deadline) == model.MISSING


def test_a_window_must_be_ordered():
    with pytest.raises(InvalidArgument) as err:
        model.check_window(T0, T0, T0 - timedelta(days=1))
    assert [v.field for v in err.value.violations] == ["deadline", "closes_at"]


# -- the ask index -----------------------------------------------------------------------------


def _catalogue() -> ipb.Catalogue:
    return ipb.Catalogue(
        cycle_code="c",
        special_assessments=[
            ipb.CatalogueSpecialAssessment(code="ws", owner="emergency-bureau"),
            ipb.CatalogueSpecialAssessment(code="eco", owner="ecology-bureau"),
        ],
        key_mappings=[ipb.KeyMapping(key="hidden-ledger", canonical_key="ledger")],
        asks_by_kind=[
            ipb.KindAsks(
                kind="township",
                asks=[
                    ipb.Ask(
                        evidence_key="ledger",
                        formats=["xlsx", "JPEG", "doc"],
                        serves=[
                            ipb.IndicatorRef(special_assessment_code="ws", indicator_code="ws-1")
                        ],
                    ),
                    ipb.Ask(
                        evidence_key="plan",
                        serves=[
                            ipb.IndicatorRef(special_assessment_code="ws", indicator_code="ws-2"),
                            ipb.IndicatorRef(special_assessment_code="eco", indicator_code="e-1"),
                        ],
                    ),
                ],
            )
        ],
        units=[ipb.Unit(code="town", kind="township"), ipb.Unit(code="dept", kind="department")],
    )


def test_an_alias_resolves_to_its_canonical_ask_with_known_formats():
    index = AskIndex.from_catalogue(_catalogue())
    ask = index.ask("town", "hidden-ledger")
    assert ask.evidence_key == "ledger" and ask.formats == ("xlsx", "jpg")
    assert index.keys_of_department("ecology-bureau") == {"plan"}
    with pytest.raises(NotFound) as err:
        index.ask("dept", "plan")
    assert err.value.reason == "ASK_NOT_FOUND"
    with pytest.raises(NotFound) as err:
        index.ask("nobody", "plan")
    assert err.value.reason == "UNIT_NOT_IN_CYCLE"


def test_readers_by_role():
    index = AskIndex.from_catalogue(_catalogue())
    index.require_readable(Principal("a", Role.AUDITOR), "town", "ledger")
    index.require_readable(Principal("u", Role.UNIT, unit="town"), "town", "ledger")
    index.require_readable(
        Principal("e", Role.ASSESSOR, department="ecology-bureau"), "town", "plan"
    )
    for caller, key in (
        (Principal("u", Role.UNIT, unit="other"), "ledger"),
        (Principal("e", Role.ASSESSOR, department="ecology-bureau"), "ledger"),
    ):
        with pytest.raises(PermissionDenied):
            index.require_readable(caller, "town", key)


def test_an_assessor_reads_a_key_only_where_it_serves_its_department_for_that_units_kind():
    catalogue = _catalogue()
    # For departments, "plan" serves ecology only; for townships both departments need it.
    catalogue.asks_by_kind.append(
        ipb.KindAsks(
            kind="department",
            asks=[
                ipb.Ask(
                    evidence_key="plan",
                    serves=[ipb.IndicatorRef(special_assessment_code="eco", indicator_code="e-1")],
                )
            ],
        )
    )
    index = AskIndex.from_catalogue(catalogue)
    safety = Principal("s", Role.ASSESSOR, department="emergency-bureau")
    index.require_readable(safety, "town", "plan")
    with pytest.raises(PermissionDenied):
        index.require_readable(safety, "dept", "plan")
    assert index.serves_department("dept", "plan", "ecology-bureau")
    assert not index.serves_department("dept", "ledger", "emergency-bureau")  # not one of its asks


# -- the local blob store ----------------------------------------------------------------------


async def test_a_blob_is_linked_into_place_once_and_never_overwritten(tmp_path):
    store = LocalBlobStore(tmp_path)
    sha, created = await store.put_bytes(b"evidence")
    again, created_again = await store.put_bytes(b"evidence")
    assert (sha, created, created_again) == (again, True, False)
    assert store.path_of(sha).read_bytes() == b"evidence"
    assert not list(store.tmp.iterdir())
    assert [chunk async for chunk in store.chunks(sha, chunk_size=3)] == [b"evi", b"den", b"ce"]
    store.close()


async def test_an_abandoned_writer_leaves_no_temporary_file(tmp_path):
    store = LocalBlobStore(tmp_path)
    with pytest.raises(asyncio.CancelledError):
        async with store.writer() as writer:
            await writer.write(b"half")
            raise asyncio.CancelledError
    assert not list(store.tmp.iterdir()) and not list((tmp_path / "sha256").iterdir())
    store.close()


def test_recover_removes_what_dead_processes_left_and_spares_live_ones(tmp_path):
    live = LocalBlobStore(tmp_path)
    (live.tmp / "inflight.part").write_bytes(b"x")
    dead = tmp_path / "tmp" / "999-dead"
    dead.mkdir()
    (dead / "left.part").write_bytes(b"y")
    (tmp_path / "tmp" / "999-dead.lock").touch()
    orphan = tmp_path / "tmp" / "no-lock"
    orphan.mkdir()
    (orphan / "left.part").write_bytes(b"z")
    starting = LocalBlobStore(tmp_path)
    assert starting.recover() == 2
    assert (live.tmp / "inflight.part").exists() and not dead.exists() and not orphan.exists()
    with (
        open(tmp_path / "tmp" / f"{live.tmp.name}.lock", "a") as lock,
        pytest.raises(BlockingIOError),
    ):
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # still held by the live store
    live.close()
    starting.close()
