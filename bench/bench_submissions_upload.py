"""A 50 MB evidence upload: throughput against a bare grpc.aio client-streaming echo of the
same chunks (target: at least 50% of the echo), and the servers' peak RSS.

Both servers run as processes of their own; the same client streams the same 64 KiB chunks
to each. The submissions service does everything a real upload does: authenticate, look up
the ask, hash while streaming, write and fsync a temporary file, judge the format, link the
blob into place, commit the submission, outbox and audit rows.

    .venv/bin/python bench/bench_submissions_upload.py [--mb 50] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import grpc

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from localstack.ports import free_port
from oneassess.client.channels import CHANNEL_OPTIONS
from oneassess.submissions.v1 import submissions_service_pb2 as pb
from oneassess.submissions.v1 import submissions_service_pb2_grpc as pb_grpc
from tests.conftest import token_for
from tests.support import submissions as s

MB = 1024 * 1024


class Echo(pb_grpc.SubmissionsServiceServicer):
    """The baseline: receives the stream and counts its bytes, nothing else."""

    async def Upload(self, request_iterator, context):
        size = 0
        async for message in request_iterator:
            size += len(message.chunk)
        return pb.UploadResponse(submission=pb.Submission(size_bytes=size))


async def serve_echo(port: int) -> None:
    server = grpc.aio.server(options=CHANNEL_OPTIONS)
    pb_grpc.add_SubmissionsServiceServicer_to_server(Echo(), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await server.wait_for_termination()


async def upload_once(address: str, data: bytes, metadata=()) -> float:
    """Seconds for one upload of `data`, from the first message to the response."""
    async with grpc.aio.insecure_channel(address, options=CHANNEL_OPTIONS) as channel:
        stub = pb_grpc.SubmissionsServiceStub(channel)
        await channel.channel_ready()
        head = s.header(data)
        started = time.perf_counter()
        response = await stub.Upload(s.messages(head, data), metadata=metadata)
        elapsed = time.perf_counter() - started
    if response.submission.size_bytes != len(data):
        raise RuntimeError(f"server saw {response.submission.size_bytes} bytes, sent {len(data)}")
    return elapsed


async def start_echo() -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, __file__, "--echo", str(port)])  # noqa: ASYNC220
    address = f"127.0.0.1:{port}"
    async with grpc.aio.insecure_channel(address) as channel:
        await asyncio.wait_for(channel.channel_ready(), 30)
    return process, address


async def main(size_mb: int, runs: int) -> None:
    size = size_mb * MB
    payloads = [s.pdf(size, seed=f"run-{i}") for i in range(runs)]
    echo_times, service_times = [], []
    echo_process, echo_address = await start_echo()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-upload-") as root:
            async with s.local_stack(Path(root)) as (_, _, service):
                metadata = (("authorization", f"Bearer {token_for('unit', unit=s.UNIT)}"),)
                idle_rss = s.peak_rss_bytes(service.process.pid)
                for data in payloads:  # interleaved, so both see the same machine load
                    echo_times.append(await upload_once(echo_address, data))
                    service_times.append(await upload_once(service.address, data, metadata))
                service_rss = s.peak_rss_bytes(service.process.pid)
        echo_rss = s.peak_rss_bytes(echo_process.pid)
    finally:
        echo_process.terminate()
        echo_process.wait()

    echo_mbps = size / MB / statistics.median(echo_times)
    service_mbps = size / MB / statistics.median(service_times)
    ratio = service_mbps / echo_mbps
    print(f"upload of {size_mb} MB in 64 KiB chunks, median of {runs} interleaved runs")
    print(
        f"  baseline  bare grpc.aio echo        {echo_mbps:8.1f} MB/s   peak RSS "
        f"{echo_rss / MB:6.1f} MB"
    )
    print(
        f"  service   submissions Upload        {service_mbps:8.1f} MB/s   peak RSS "
        f"{service_rss / MB:6.1f} MB"
        f" (before the uploads {idle_rss / MB:.1f} MB)"
    )
    print(
        f"  ratio     {ratio:.0%} of the echo (target >= 50%): {'PASS' if ratio >= 0.5 else 'FAIL'}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--echo", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.echo:
        asyncio.run(serve_echo(args.echo))
    else:
        asyncio.run(main(args.mb, args.runs))
