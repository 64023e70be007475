"""Evidence in any S3-compatible object store (AWS S3, SeaweedFS, MinIO, Ceph RGW...), through
aiobotocore. Same contract as the local store: content-addressed, written once, never
overwritten, streamed both ways.

Layout under s3://bucket/prefix:
    sha256/<2 hex>/<64 hex>          the blobs, by their sha256
    uploads/<instance>/<uuid>        a large upload being streamed (multipart) before its hash
                                     is known; copied to its address on commit, then removed

An upload of up to 1 MiB (most evidence) is held in memory, hashed and judged there. A larger
one streams to a local temporary file (format checks need random access) and, once it passes
one part (8 MiB), also as a multipart upload to a staging object, part by part while it is
hashed; one part is in flight while the next fills. Commit writes the content address:

- small blobs (one part): PutObject with If-None-Match: * -- the store refuses (412) when the
  address exists, so nothing is ever overwritten and two replicas racing write it once;
- large blobs: HEAD the address; when absent, CopyObject from the staging object. CopyObject
  has no portable conditional form, so two replicas committing the same content at once may
  both copy: harmless, as the address names the bytes -- both write the same bytes, and a
  blob once written is never changed to anything else.

An abandoned upload aborts its multipart upload or removes its staging object; what a killed
process leaves is removed by the sweeper (`remove_stale_uploads`) after the grace period.

Two clients, each where it is best: the hot path of every upload and download (the
conditional PutObject, HEAD, GetObject) goes through obstore (Rust, ~1 ms of CPU a request
here against ~4 ms for botocore's Python machinery); multipart control, server-side copy and
the sweeper's listings go through aiobotocore, which exposes every S3 call.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import aiobotocore.session
import obstore
from botocore.config import Config
from botocore.exceptions import ClientError
from obstore.exceptions import AlreadyExistsError
from obstore.store import S3Store

from oneassess.config import Settings
from services.submissions.blobstore import READ_CHUNK_BYTES, LocalBlobStore, _LocalWriter

log = logging.getLogger(__name__)

PART_BYTES = 8 * 1024 * 1024  # S3's minimum part is 5 MiB (but the last)
IN_MEMORY_BYTES = 1024 * 1024  # hashed on the event loop: about 2 ms at most
DISCARD_SECONDS = 10.0  # removing what a refused upload staged; the sweeper does it later


def parse_url(url: str) -> tuple[str, str]:
    """s3://bucket/prefix -> (bucket, prefix without slashes at either end)."""
    if not url.startswith("s3://"):
        raise ValueError(f"not an s3:// URL: {url!r}")
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    if not bucket:
        raise ValueError(f"no bucket in {url!r}")
    return bucket, prefix.strip("/")


def _status(error: ClientError) -> int:
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


class _S3Writer:
    """A blob of up to IN_MEMORY_BYTES stays in memory: hashed, judged and put in one request,
    with no spool file and no thread hop (the deadline-day burst is small files). A larger one
    spools to a local file for the format checks and streams to a multipart upload."""

    def __init__(self, store: S3BlobStore, stack: contextlib.AsyncExitStack) -> None:
        self._store = store
        self._stack = stack  # enters the spool file's writer when the blob outgrows memory
        self._local: _LocalWriter | None = None
        self._memory = bytearray()
        self._part = bytearray()
        self._parts: list[dict] = []
        self._upload_id: str | None = None
        self._staging = f"{store._staging_prefix}/{uuid.uuid4().hex}"
        self._in_flight: asyncio.Task | None = None
        self._staged = False  # the multipart upload completed into the staging object
        self._small: bytes | None = None
        self._sha256 = ""

    @property
    def path(self) -> Path:
        if self._local is None:
            raise RuntimeError("a small blob has no file: read `source`")
        return self._local.path

    @property
    def source(self) -> Path | bytes:
        return self._small if self._small is not None else self.path

    async def write(self, chunk: bytes) -> None:
        if self._local is None:
            if len(self._memory) + len(chunk) <= IN_MEMORY_BYTES:
                self._memory += chunk
                return
            self._local = await self._stack.enter_async_context(self._store._spool.writer())
            held, self._memory = self._memory, bytearray()
            await self._local.write(bytes(held))
            self._part += held
        await self._local.write(chunk)
        self._part += chunk
        if len(self._part) >= PART_BYTES:
            await self._send_part()

    async def _send_part(self) -> None:
        s3 = self._store.client
        if self._upload_id is None:
            created = await s3.create_multipart_upload(Bucket=self._store.bucket, Key=self._staging)
            self._upload_id = created["UploadId"]
        if self._in_flight is not None:
            await self._in_flight
        body, self._part = bytes(self._part), bytearray()
        number = len(self._parts) + 1
        self._parts.append({"PartNumber": number})

        async def upload() -> None:
            sent = await s3.upload_part(
                Bucket=self._store.bucket,
                Key=self._staging,
                UploadId=self._upload_id,
                PartNumber=number,
                Body=body,
            )
            self._parts[number - 1]["ETag"] = sent["ETag"]

        self._in_flight = asyncio.create_task(upload())

    async def finish(self) -> tuple[str, int]:
        if self._local is None:
            self._small, self._memory = bytes(self._memory), bytearray()
            self._sha256 = hashlib.sha256(self._small).hexdigest()
            return self._sha256, len(self._small)
        self._sha256, size = await self._local.finish()
        if self._upload_id is None:
            self._small = bytes(self._part)
            self._part = bytearray()
        else:
            if self._part:
                await self._send_part()
            await self._in_flight
            self._in_flight = None
            await self._store.client.complete_multipart_upload(
                Bucket=self._store.bucket,
                Key=self._staging,
                UploadId=self._upload_id,
                MultipartUpload={"Parts": self._parts},
            )
            self._staged = True
        return self._sha256, size

    async def commit(self) -> bool:
        if not self._sha256:
            raise RuntimeError("finish() the blob before committing it")
        if self._small is not None:
            return await self._store._put_new(self._sha256, self._small)
        key = self._store.key_of(self._sha256)
        if await self._store.exists(self._sha256):
            created = False
        else:
            await self._store.client.copy_object(
                Bucket=self._store.bucket,
                Key=key,
                CopySource={"Bucket": self._store.bucket, "Key": self._staging},
            )
            created = True
        await self._remove_staging()
        return created

    async def _remove_staging(self) -> None:
        if self._staged:
            await self._store.client.delete_object(Bucket=self._store.bucket, Key=self._staging)
            self._staged = False

    async def discard(self) -> None:
        """Leave nothing behind: the local file, the multipart upload, the staging object."""
        self._memory = bytearray()
        if self._local is not None:
            self._local.discard()
        if self._in_flight is not None:
            self._in_flight.cancel()
            await asyncio.gather(self._in_flight, return_exceptions=True)
        try:
            # Bounded: a refused or cancelled upload (a stopping server cancels its calls)
            # must not wait on a slow store for minutes of botocore retries.
            async with asyncio.timeout(DISCARD_SECONDS):
                if self._staged:
                    await self._remove_staging()
                elif self._upload_id is not None:
                    await self._store.client.abort_multipart_upload(
                        Bucket=self._store.bucket, Key=self._staging, UploadId=self._upload_id
                    )
        except (ClientError, OSError, TimeoutError) as error:  # the sweeper removes it later
            log.warning("could not remove the staging upload %s: %r", self._staging, error)


class S3BlobStore:
    """Blobs in s3://bucket/prefix; one client (connection pool) per process."""

    def __init__(
        self,
        url: str,
        *,
        spool: Path,
        addressing_style: str = "path",
        max_connections: int = 64,
    ) -> None:
        self.bucket, self.prefix = parse_url(url)
        self._base = f"{self.prefix}/" if self.prefix else ""
        # Temporary files for format checks; the object store makes blobs durable, not them.
        self._spool = LocalBlobStore(spool, durable=False)
        instance = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._staging_prefix = f"{self._base}uploads/{instance}"
        self._addressing_style = addressing_style
        self._fast = None
        self._config = Config(
            s3={"addressing_style": addressing_style},
            max_pool_connections=max_connections,
            retries={"mode": "standard", "max_attempts": 5},
        )
        self._stack = contextlib.AsyncExitStack()
        self.client = None

    @classmethod
    def from_settings(cls, settings: Settings) -> S3BlobStore:
        return cls(
            settings.blob_store,
            spool=settings.blobs / "spool",
            addressing_style=settings.s3_addressing_style,
        )

    async def __aenter__(self) -> S3BlobStore:
        session = aiobotocore.session.get_session()
        # Endpoint, region and credentials: the standard AWS settings (environment, config
        # files, instance or pod roles), as every AWS tool reads them.
        self.client = await self._stack.enter_async_context(
            session.create_client("s3", config=self._config)
        )
        self._fast = _obstore_for(self.bucket, self.prefix, self._addressing_style)
        return self

    async def __aexit__(self, *exc) -> None:
        await self._stack.aclose()
        self._spool.close()

    def close(self) -> None:
        self._spool.close()

    def key_of(self, sha256: str) -> str:
        return f"{self._base}sha256/{sha256[:2]}/{sha256}"

    def _relative(self, sha256: str) -> str:
        return f"sha256/{sha256[:2]}/{sha256}"  # under the prefix obstore was given

    async def exists(self, sha256: str) -> bool:
        try:
            await obstore.head_async(self._fast, self._relative(sha256))
        except FileNotFoundError:
            return False
        return True

    async def _put_new(self, sha256: str, data: bytes) -> bool:
        """Write the address unless it exists (If-None-Match: *); False when it did."""
        try:
            await obstore.put_async(self._fast, self._relative(sha256), data, mode="create")
        except AlreadyExistsError:
            return False
        return True

    @contextlib.asynccontextmanager
    async def writer(self) -> AsyncIterator[_S3Writer]:
        async with contextlib.AsyncExitStack() as stack:
            writer = _S3Writer(self, stack)
            try:
                yield writer
            finally:
                await writer.discard()

    async def put_bytes(self, data: bytes) -> tuple[str, bool]:
        async with self.writer() as writer:
            await writer.write(data)
            sha256, _ = await writer.finish()
            return sha256, await writer.commit()

    async def chunks(self, sha256: str, chunk_size: int = READ_CHUNK_BYTES) -> AsyncIterator[bytes]:
        got = await obstore.get_async(self._fast, self._relative(sha256))
        async for chunk in got.stream(min_chunk_size=chunk_size):
            yield bytes(chunk)

    async def read_bytes(self, sha256: str) -> bytes:
        return b"".join([chunk async for chunk in self.chunks(sha256)])

    def recover(self) -> int:
        return self._spool.recover()

    async def _objects(self, prefix: str) -> AsyncIterator[dict]:
        pages = self.client.get_paginator("list_objects_v2")
        async for page in pages.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield item

    async def blobs(self) -> AsyncIterator[tuple[str, datetime]]:
        async for item in self._objects(f"{self._base}sha256/"):
            yield item["Key"].rsplit("/", 1)[-1], item["LastModified"]

    async def delete(self, sha256: str) -> None:
        await self.client.delete_object(Bucket=self.bucket, Key=self.key_of(sha256))

    async def remove_stale_uploads(self, before: datetime) -> int:
        removed = 0
        uploads = f"{self._base}uploads/"
        async for item in self._objects(uploads):
            if item["LastModified"] < before and not item["Key"].startswith(self._staging_prefix):
                await self.client.delete_object(Bucket=self.bucket, Key=item["Key"])
                removed += 1
        pages = self.client.get_paginator("list_multipart_uploads")
        async for page in pages.paginate(Bucket=self.bucket, Prefix=uploads):
            for upload in page.get("Uploads", []):
                mine = upload["Key"].startswith(self._staging_prefix)
                if upload["Initiated"] < before and not mine:
                    await self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                    removed += 1
        return removed


def _obstore_for(bucket: str, prefix: str, addressing_style: str) -> S3Store:
    """obstore's client from the same standard AWS settings botocore reads."""
    env = os.environ
    endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
    options: dict = {}
    if endpoint:
        options["endpoint"] = endpoint
    for setting, name in (
        ("AWS_ACCESS_KEY_ID", "access_key_id"),
        ("AWS_SECRET_ACCESS_KEY", "secret_access_key"),
        ("AWS_SESSION_TOKEN", "session_token"),
    ):
        if env.get(setting):
            options[name] = env[setting]
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if region:
        options["region"] = region
    return S3Store(
        bucket,
        prefix=prefix or None,
        virtual_hosted_style_request=addressing_style == "virtual",
        client_options={"allow_http": bool(endpoint and endpoint.startswith("http://"))},
        **options,
    )
