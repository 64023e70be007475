"""Uploading evidence: the file streams in 64 KiB chunks after its header, and a transient
failure (the service restarting, a dropped connection) is retried with the same header, so
with the same request id: a retry never makes a second submission. The CLI and the demo
both upload through `upload`.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import grpc
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from oneassess.submissions.v1 import submissions_service_pb2 as pb

CHUNK_BYTES = 64 * 1024
ATTEMPTS = 6
RETRYABLE = frozenset(
    {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.ABORTED}
)

Content = bytes | Path


def retryable(error: BaseException) -> bool:
    """A failure worth trying again with the same request id."""
    return isinstance(error, grpc.aio.AioRpcError) and error.code() in RETRYABLE


def sha256_of(content: Content) -> str:
    if isinstance(content, bytes):
        return hashlib.sha256(content).hexdigest()
    digest = hashlib.sha256()
    with content.open("rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _chunks(content: Content):
    if isinstance(content, bytes):
        for start in range(0, len(content), CHUNK_BYTES):
            yield content[start : start + CHUNK_BYTES]
        return
    with content.open("rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            yield chunk


async def _messages(
    header: pb.UploadHeader, content: Content, advance: Callable[[int], None]
) -> AsyncIterator[pb.UploadRequest]:
    yield pb.UploadRequest(header=header)
    for chunk in _chunks(content):
        yield pb.UploadRequest(chunk=chunk)
        advance(len(chunk))


async def upload(
    submissions,
    header: pb.UploadHeader,
    content: Content,
    *,
    attempts: int = ATTEMPTS,
    on_attempt: Callable[[], None] = lambda: None,
    on_chunk: Callable[[int], None] = lambda n: None,
    on_retry: Callable[[grpc.aio.AioRpcError], None] = lambda err: None,
) -> pb.UploadResponse:
    """Upload `content` (bytes, or a file streamed from disk) to the submissions stub.

    `on_attempt` runs before each attempt (a progress bar resets), `on_chunk` after each chunk
    sent, `on_retry` with the error before waiting to try again."""
    async for attempt in AsyncRetrying(
        retry=retry_if_exception(retryable),
        wait=wait_exponential(multiplier=0.5, max=8),
        stop=stop_after_attempt(attempts),
        reraise=True,
        before_sleep=lambda state: on_retry(state.outcome.exception()),
    ):
        with attempt:
            on_attempt()
            return await submissions.Upload(_messages(header, content, on_chunk))
    raise AssertionError("unreachable: tenacity re-raises the last failure")
