"""Content-addressed blob storage: bytes by their sha256, written once, never overwritten.

`BlobStore` is the interface the service uses; `LocalBlobStore` keeps blobs in a directory
(settings.blobs, the embedded default); `services.submissions.s3store.S3BlobStore` keeps them
in any S3-compatible object store (ONEASSESS_BLOB_STORE=s3://bucket/prefix). `open_store`
picks one from the settings.

Uploads stream into a temporary file of this process while being hashed; only a complete,
verified file is fsynced and linked into place under its hash, so a reader never sees a
partial blob. Each process keeps its temporary files in a directory of its own, guarded by
an exclusive lock on a lock file: at start-up, any directory whose lock is free belongs to a
dead process (killed mid-upload) and is removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from oneassess.config import Settings

READ_CHUNK_BYTES = 256 * 1024
BLOCK_BYTES = 1024 * 1024  # what an upload hands its writer thread at a time


class BlobWriter(Protocol):
    """One blob being written. Abandoned (exception, cancellation) it leaves nothing behind."""

    path: Path  # the temporary file, readable once `finish` returned (format checks)

    @property
    def source(self) -> Path | bytes: ...  # what format checks read: the file, or small bytes

    async def write(self, chunk: bytes) -> None: ...
    async def finish(self) -> tuple[str, int]: ...  # the rest written and durable; (sha256, size)
    async def commit(self) -> bool: ...  # into the store; False when it was already there


class BlobStore(Protocol):
    def writer(self) -> contextlib.AbstractAsyncContextManager[BlobWriter]: ...
    async def put_bytes(self, data: bytes) -> tuple[str, bool]: ...  # (sha256, created)
    def chunks(self, sha256: str, chunk_size: int = READ_CHUNK_BYTES) -> AsyncIterator[bytes]: ...
    async def read_bytes(self, sha256: str) -> bytes: ...
    async def exists(self, sha256: str) -> bool: ...
    def recover(self) -> int: ...  # removes what dead processes left; returns files removed
    def close(self) -> None: ...
    # For the sweeper: every stored blob with when it was written; removing one.
    def blobs(self) -> AsyncIterator[tuple[str, datetime]]: ...
    async def delete(self, sha256: str) -> None: ...
    # Leftovers of uploads that died (staging objects, unfinished multipart uploads) older
    # than `before`; returns how many were removed.
    async def remove_stale_uploads(self, before: datetime) -> int: ...


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _LocalWriter:
    """Hashes and writes in a worker thread, one block behind the stream: while a block is
    hashed and written, the event loop fills the next (memory: two blocks per upload)."""

    def __init__(self, store: LocalBlobStore, path: Path, file) -> None:
        self._store = store
        self.path = path
        self._file = file
        self._hash = hashlib.sha256()
        self._size = 0
        self._sha256 = ""
        self._block = bytearray()
        self._pending: asyncio.Future | None = None

    @property
    def source(self) -> Path:
        return self.path

    def _write_block(self, block: bytearray) -> None:
        self._hash.update(block)
        self._file.write(block)

    async def write(self, chunk: bytes) -> None:
        self._block += chunk
        self._size += len(chunk)
        if len(self._block) >= BLOCK_BYTES:
            await self._hand_over()

    async def _hand_over(self) -> None:
        if self._pending is not None:
            await self._pending
        block, self._block = self._block, bytearray()
        self._pending = asyncio.get_running_loop().run_in_executor(None, self._write_block, block)

    async def finish(self) -> tuple[str, int]:
        def flush() -> None:
            self._file.flush()
            if self._store.durable:
                os.fsync(self._file.fileno())
            # Written once, rarely read: hand its pages back, so the next upload writes into
            # memory already in use instead of claiming more (several times faster).
            os.posix_fadvise(self._file.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
            self._file.close()

        if self._pending is not None:
            await self._pending
        block, self._block = self._block, bytearray()
        self._pending = asyncio.get_running_loop().run_in_executor(
            None, lambda: (self._write_block(block), flush())
        )
        await self._pending
        self._pending = None
        self._sha256 = self._hash.hexdigest()
        return self._sha256, self._size

    async def commit(self) -> bool:
        if not self._sha256:
            raise RuntimeError("finish() the blob before committing it")
        return await asyncio.to_thread(self._store._link_into_place, self.path, self._sha256)

    def discard(self) -> None:
        """Close and remove the temporary file, once no thread is writing to it."""

        def remove(_=None) -> None:
            if not self._file.closed:
                self._file.close()
            self.path.unlink(missing_ok=True)

        if self._pending is not None and not self._pending.done():
            self._pending.add_done_callback(remove)
        else:
            remove()


def _create_private(path: Path):
    """A new file open for binary writing, owner-only (0600) from its creation."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


class LocalBlobStore:
    """Blobs under root/sha256/<2 hex>/<64 hex>; this process's temporary files under root/tmp."""

    def __init__(self, root: Path, *, durable: bool = True) -> None:
        self.root = root
        # False for a spool (the S3 store's local copies for format checks): no fsync.
        self.durable = durable
        self._tmp_root = root / "tmp"
        # Evidence is readable by the service's owner only: directories 0700, blobs 0400.
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._tmp_root.mkdir(parents=True, exist_ok=True, mode=0o700)
        (root / "sha256").mkdir(parents=True, exist_ok=True, mode=0o700)
        instance = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._lock_path = self._tmp_root / f"{instance}.lock"
        self._lock_file = self._lock_path.open("w")
        fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.tmp = self._tmp_root / instance
        self.tmp.mkdir(mode=0o700)

    def path_of(self, sha256: str) -> Path:
        return self.root / "sha256" / sha256[:2] / sha256

    async def exists(self, sha256: str) -> bool:
        return await asyncio.to_thread(self.path_of(sha256).is_file)

    async def blobs(self) -> AsyncIterator[tuple[str, datetime]]:
        def listing() -> list[tuple[str, datetime]]:
            found = []
            for path in (self.root / "sha256").glob("??/*"):
                with contextlib.suppress(FileNotFoundError):
                    found.append((path.name, datetime.fromtimestamp(path.stat().st_mtime, UTC)))
            return found

        for item in await asyncio.to_thread(listing):
            yield item

    async def delete(self, sha256: str) -> None:
        path = self.path_of(sha256)
        if path.exists():
            path.chmod(0o644)
        await asyncio.to_thread(path.unlink, missing_ok=True)

    async def remove_stale_uploads(self, before: datetime) -> int:
        return 0  # recover() removes what dead processes left, at start-up

    async def __aenter__(self) -> LocalBlobStore:
        return self

    async def __aexit__(self, *exc) -> None:
        self.close()

    @contextlib.asynccontextmanager
    async def writer(self) -> AsyncIterator[_LocalWriter]:
        path = self.tmp / f"{uuid.uuid4().hex}.part"
        # Opened off the event loop: creating a file can wait on the journal behind fsyncs.
        writer = _LocalWriter(self, path, await asyncio.to_thread(_create_private, path))
        try:
            yield writer
        finally:
            writer.discard()  # after commit the temporary name is already gone

    def _link_into_place(self, temp: Path, sha256: str) -> bool:
        final = self.path_of(sha256)
        final.parent.mkdir(exist_ok=True, mode=0o700)
        temp.chmod(0o400)
        try:
            os.link(temp, final)  # never replaces an existing blob
            created = True
        except FileExistsError:
            created = False
        temp.unlink()
        if created:
            _fsync_dir(final.parent)
        return created

    async def put_bytes(self, data: bytes) -> tuple[str, bool]:
        async with self.writer() as writer:
            await writer.write(data)
            sha256, _ = await writer.finish()
            return sha256, await writer.commit()

    async def chunks(self, sha256: str, chunk_size: int = READ_CHUNK_BYTES) -> AsyncIterator[bytes]:
        f = await asyncio.to_thread(self.path_of(sha256).open, "rb")
        try:
            while chunk := await asyncio.to_thread(f.read, chunk_size):
                yield chunk
        finally:
            f.close()

    async def read_bytes(self, sha256: str) -> bytes:
        return await asyncio.to_thread(self.path_of(sha256).read_bytes)

    def recover(self) -> int:
        """Remove the temporary files of processes that died (their lock is free)."""
        removed = 0
        for lock_path in self._tmp_root.glob("*.lock"):
            if lock_path == self._lock_path:
                continue
            with lock_path.open("a") as lock:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # a live process owns it
                removed += self._remove_instance(lock_path.with_suffix(""))
                lock_path.unlink(missing_ok=True)
        for folder in self._tmp_root.iterdir():
            if folder.is_dir() and folder != self.tmp and not folder.with_suffix(".lock").exists():
                removed += self._remove_instance(folder)
        return removed

    @staticmethod
    def _remove_instance(folder: Path) -> int:
        count = sum(1 for p in folder.iterdir()) if folder.is_dir() else 0
        shutil.rmtree(folder, ignore_errors=True)
        return count

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)
        self._lock_path.unlink(missing_ok=True)
        self._lock_file.close()


def blob_lock_key(sha256: str) -> int:
    """The PostgreSQL advisory lock guarding one blob between an upload's transaction (shared:
    it will reference the blob) and the sweeper (exclusive: it may remove it)."""
    return int(sha256[:15], 16)


def open_store(settings: Settings) -> contextlib.AbstractAsyncContextManager[BlobStore]:
    """The store the settings name: ONEASSESS_BLOB_STORE=s3://bucket/prefix, else local."""
    url = settings.blob_store
    if not url or url.startswith("file://"):
        root = Path(url.removeprefix("file://")) if url else settings.blobs
        return LocalBlobStore(root)
    if url.startswith("s3://"):
        from services.submissions.s3store import S3BlobStore

        return S3BlobStore.from_settings(settings)
    raise ValueError(f"ONEASSESS_BLOB_STORE must be s3://bucket/prefix or file://path: {url!r}")
