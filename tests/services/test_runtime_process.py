"""The runtime as a real process: graceful shutdown on SIGTERM (in-flight calls finish, new
ones are refused, the process exits cleanly) and tracing switched on by OTEL_* variables."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import grpc
import pytest

from oneassess.client.tokens import bearer_metadata
from oneassess.indicators.v1 import indicators_service_pb2 as ipb
from oneassess.indicators.v1 import indicators_service_pb2_grpc as ipb_grpc
from oneassess.submissions.v1 import submissions_service_pb2 as pb
from oneassess.submissions.v1 import submissions_service_pb2_grpc as pb_grpc
from services.common.auth import Role
from services.common.timestamps import timestamp
from tests.conftest import (
    EXAMPLE,
    issuer_environment,
    make_settings,
    start_stack,
    stop_stack,
    token_for,
)
from tests.support import submissions as s
from tests.workflows.harness import eventually


async def test_sigterm_drains_an_in_flight_upload_then_refuses_and_exits_cleanly(
    tmp_path, database_url
):
    settings = make_settings(tmp_path / "home", database_url, ONEASSESS_SHUTDOWN_GRACE="20")
    indicators = await start_stack(settings, ("indicators",))
    service = s.ServiceProcess(
        make_settings(
            tmp_path / "home",
            database_url,
            INDICATORS_ADDRESS=indicators.address("indicators"),
            SUBMISSIONS_PORT=str(settings.submissions_port),
            ONEASSESS_SHUTDOWN_GRACE="20",
        ),
        tmp_path / "submissions.log",
    )
    try:
        await s.fold_example(indicators.admin)
        await service.start()
        service.process.send_signal(signal.SIGUSR1)  # a stack dump, and the service lives on

        async def stacks_written() -> bool:
            written = service.log_path.read_text(errors="replace")
            return "Current thread" in written and "services/common/server.py" in written

        await eventually(stacks_written, what="the stacks SIGUSR1 asks for", within=60)
        unit = bearer_metadata(token_for(Role.UNIT, unit=s.UNIT))
        admin = bearer_metadata(token_for(Role.ADMIN))
        data = s.pdf(2 * 1024 * 1024)
        head = s.header(data, request_id="drain-me")
        terminated = asyncio.Event()

        async with grpc.aio.insecure_channel(service.address) as channel:
            stub = pb_grpc.SubmissionsServiceStub(channel)
            now = datetime.now(UTC)
            await stub.OpenCollection(
                pb.OpenCollectionRequest(
                    request_id="w",
                    window=pb.CollectionWindow(
                        cycle_code=s.CYCLE,
                        opens_at=timestamp(now - timedelta(days=1)),
                        deadline=timestamp(now + timedelta(days=1)),
                        closes_at=timestamp(now + timedelta(days=2)),
                    ),
                ),
                metadata=admin,
            )

            async def half_then_the_rest_after_sigterm():
                yield pb.UploadRequest(header=head)
                half = len(data) // 2
                for start in range(0, half, s.CHUNK):
                    yield pb.UploadRequest(chunk=data[start : start + s.CHUNK])
                await terminated.wait()
                for start in range(half, len(data), s.CHUNK):
                    yield pb.UploadRequest(
                        chunk=data[start : start + min(s.CHUNK, len(data) - start)]
                    )

            call = stub.Upload(half_then_the_rest_after_sigterm(), metadata=unit)
            await asyncio.sleep(1.0)  # the first half is on the server
            service.process.send_signal(signal.SIGTERM)
            await asyncio.sleep(0.5)
            terminated.set()
            response = await call
            assert response.submission.size_bytes == len(data)

        async with grpc.aio.insecure_channel(service.address) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await pb_grpc.SubmissionsServiceStub(channel).GetSubmission(
                    pb.GetSubmissionRequest(submission_id=response.submission.id),
                    metadata=unit,
                    timeout=5,
                )
            assert err.value.code() == grpc.StatusCode.UNAVAILABLE
        assert service.exit_code(timeout=60) == 0  # roomy: a busy machine; stacks if not
    finally:
        service.stop()
        await stop_stack(indicators)


async def test_console_tracing_covers_grpc_and_asyncpg_in_one_trace(tmp_path, database_url):
    settings = make_settings(tmp_path / "home", database_url)
    env = {
        **os.environ,
        "ONEASSESS_HOME": str(settings.home),
        "DATABASE_URL": database_url,
        **issuer_environment(),
        "INDICATORS_PORT": str(settings.indicators_port),
        "OTEL_TRACES_EXPORTER": "console",
        "OTEL_SERVICE_NAME": "indicators-under-test",
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(  # noqa: ASYNC220
        [sys.executable, "-m", "services.indicators"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        metadata = bearer_metadata(token_for(Role.ADMIN))
        async with grpc.aio.insecure_channel(f"127.0.0.1:{settings.indicators_port}") as channel:
            stub = ipb_grpc.IndicatorsServiceStub(channel)
            for _ in range(200):
                try:
                    await stub.ImportUnits(
                        ipb.ImportUnitsRequest(
                            file=ipb.SourceFile(
                                name="units.yaml", content=(EXAMPLE / "units.yaml").read_bytes()
                            )
                        ),
                        metadata=metadata,
                        timeout=5,
                    )
                    break
                except grpc.aio.AioRpcError as err:
                    if err.code() != grpc.StatusCode.UNAVAILABLE:
                        raise
                    await asyncio.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)  # graceful: the batch processor flushes
        output, _ = process.communicate(timeout=60)

    spans = []
    decoder = json.JSONDecoder()
    text, position = output, 0
    while (start := text.find("{", position)) != -1:
        try:
            value, position = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            position = start + 1
            continue
        if isinstance(value, dict) and "context" in value:
            spans.append(value)
    rpc = next(sp for sp in spans if sp["name"].endswith("IndicatorsService/ImportUnits"))
    assert rpc["resource"]["attributes"]["service.name"] == "indicators-under-test"
    trace_id = rpc["context"]["trace_id"]
    db_spans = [sp for sp in spans if sp["attributes"].get("db.system") == "postgresql"]
    assert any(sp["context"]["trace_id"] == trace_id for sp in db_spans), (
        "asyncpg spans join the RPC's trace"
    )
