"""Uploading evidence: the file streams in 64 KiB chunks after its header, and a transient
failure (the service restarting, its database out of reach, a dropped connection) is retried
with the same header, so with the same request id: a retry never makes a second submission.
Retries follow oneassess.client.retry: back-off with jitter for a total time (2.5 minutes by
default). The CLI and the demo both upload through `upload`.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from oneassess.client import retry
from oneassess.client.retry import RetryPolicy, Waiting, retryable
from oneassess.submissions.v1 import submissions_service_pb2 as pb

CHUNK_BYTES = 64 * 1024
RETRYABLE = retry.RETRYABLE

Content = bytes | Path
__all__ = ["RETRYABLE", "RetryPolicy", "Waiting", "retryable", "sha256_of", "upload"]


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
    policy: RetryPolicy | None = None,
    on_attempt: Callable[[], None] = lambda: None,
    on_chunk: Callable[[int], None] = lambda n: None,
    on_retry: Callable[[Waiting], None] = lambda waiting: None,
) -> pb.UploadResponse:
    """Upload `content` (bytes, or a file streamed from disk) to the submissions stub.

    `on_attempt` runs before each attempt (a progress bar resets), `on_chunk` after each chunk
    sent, `on_retry` with what failed and how long it waits before trying again."""

    async def attempt() -> pb.UploadResponse:
        on_attempt()
        return await submissions.Upload(_messages(header, content, on_chunk))

    return await retry.call(attempt, policy=policy, on_wait=on_retry, retry_on=_upload_retryable)


def _upload_retryable(error: BaseException) -> bool:
    return retryable(error) or retry.send_interrupted(error)
