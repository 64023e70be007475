"""The kill test: the service dies in the middle of an upload; the client retries with the same
request id against the restarted service and finds exactly one submission whose bytes match."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta

import grpc
import pytest

from oneassess.client.tokens import bearer_metadata
from oneassess.submissions.v1 import submissions_service_pb2 as pb
from oneassess.submissions.v1 import submissions_service_pb2_grpc as pb_grpc
from services.common import db
from services.common.auth import Role
from services.common.timestamps import timestamp
from tests.conftest import make_settings, start_stack, stop_stack, token_for
from tests.support import submissions as s


async def test_killed_mid_upload_then_retried_with_the_same_request_id(tmp_path, database_url):
    settings = make_settings(tmp_path / "home", database_url)
    indicators = await start_stack(settings, ("indicators",))
    service = s.ServiceProcess(
        make_settings(
            tmp_path / "home",
            database_url,
            INDICATORS_ADDRESS=indicators.address("indicators"),
            SUBMISSIONS_PORT=str(settings.submissions_port),
        ),
        tmp_path / "submissions.log",
    )
    try:
        await s.fold_example(indicators.admin)
        await service.start()
        metadata = bearer_metadata(token_for(Role.UNIT, unit=s.UNIT))
        admin = bearer_metadata(token_for(Role.ADMIN))
        data = s.pdf(3 * 1024 * 1024)
        head = s.header(data, request_id="kill-me")
        temp_dir = settings.blobs / "tmp"

        async with grpc.aio.insecure_channel(service.address) as channel:
            stub = pb_grpc.SubmissionsServiceStub(channel)
            await stub.OpenCollection(
                pb.OpenCollectionRequest(request_id="w", window=await _window()), metadata=admin
            )

            async def half_then_stall():
                yield pb.UploadRequest(header=head)
                for start in range(0, len(data) // 2, s.CHUNK):
                    yield pb.UploadRequest(chunk=data[start : start + s.CHUNK])
                await asyncio.sleep(3600)

            call = stub.Upload(half_then_stall(), metadata=metadata)
            for _ in range(3000):  # 60 s at most: the machine may be busy
                parts = list(temp_dir.rglob("*.part"))
                if parts and parts[0].stat().st_size >= len(data) // 4:
                    break
                await asyncio.sleep(0.02)
            else:
                pytest.fail("the upload never reached the server's temporary file")
            service.kill()
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await call
            assert err.value.code() == grpc.StatusCode.UNAVAILABLE
        assert list(temp_dir.rglob("*.part")), "a killed server leaves its temporary file behind"

        await service.start()
        assert not list(temp_dir.rglob("*.part")), "start-up removes what the killed server left"
        async with grpc.aio.insecure_channel(service.address) as channel:
            stub = pb_grpc.SubmissionsServiceStub(channel)
            retried = await stub.Upload(s.messages(head, data), metadata=metadata)
            again = await stub.Upload(s.messages(head, data), metadata=metadata)
            assert again == retried
            downloaded = [
                m
                async for m in stub.Download(
                    pb.DownloadRequest(submission_id=retried.submission.id), metadata=metadata
                )
            ]
        body = b"".join(m.chunk for m in downloaded[1:])
        assert body == data and hashlib.sha256(body).hexdigest() == downloaded[0].header.sha256
        pool = await db.create_pool(database_url, "submissions")
        state = await s.stored(pool, settings.blobs)
        await pool.close()
        assert (state.submissions, state.outbox, len(state.blobs), state.temp_files) == (
            1,
            1,
            1,
            (),
        )
    finally:
        service.stop()
        await stop_stack(indicators)


async def _window() -> pb.CollectionWindow:
    now = datetime.now(UTC)
    return pb.CollectionWindow(
        cycle_code=s.CYCLE,
        opens_at=timestamp(now - timedelta(days=1)),
        deadline=timestamp(now + timedelta(days=1)),
        closes_at=timestamp(now + timedelta(days=2)),
    )
