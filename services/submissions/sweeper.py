"""The blob sweeper: removes blobs that no committed submission or history export references,
once they are older than a grace period (a failed or refused commit can leave one behind; an
S3 upload killed mid-stream leaves a staging object or an unfinished multipart upload).

Safe with uploads in flight and with every replica sweeping: an upload's transaction holds a
shared advisory lock on its blob's hash from the moment it commits the blob until it commits
the row (uploads.py, records.py); the sweeper removes a blob only under the exclusive lock,
after checking again that nothing references it. So either the row is committed first (the
sweeper sees it and keeps the blob) or the sweeper removes first (the upload's commit() then
finds the blob absent and writes it again from the bytes it still holds).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import asyncpg

from services.submissions.blobstore import BlobStore, blob_lock_key

log = logging.getLogger(__name__)

BATCH = 500

_REFERENCED = """
SELECT sha256 FROM submissions WHERE sha256 = ANY($1::text[])
UNION SELECT sha256 FROM history_exports WHERE sha256 = ANY($1::text[])
"""


async def _unreferenced(conn, batch: list[str]) -> list[str]:
    referenced = {row["sha256"] for row in await conn.fetch(_REFERENCED, batch)}
    return [sha for sha in batch if sha not in referenced]


async def sweep(
    pool: asyncpg.Pool, store: BlobStore, *, grace: timedelta, now: datetime | None = None
) -> int:
    """Remove unreferenced blobs written before now - grace; returns how many were removed."""
    cutoff = (now or datetime.now(UTC)) - grace
    old = [sha async for sha, written in store.blobs() if written < cutoff]
    removed = 0
    for start in range(0, len(old), BATCH):
        async with pool.acquire() as conn:
            candidates = await _unreferenced(conn, old[start : start + BATCH])
        for sha in candidates:
            async with pool.acquire() as conn, conn.transaction():
                locked = await conn.fetchval(
                    "SELECT pg_try_advisory_xact_lock($1)", blob_lock_key(sha)
                )
                if not locked or not await _unreferenced(conn, [sha]):
                    continue  # an upload is committing it, or one just did
                await store.delete(sha)
                removed += 1
    stale = await store.remove_stale_uploads(cutoff)
    if removed or stale:
        log.info(
            "blob sweeper: removed %d unreferenced blob(s), %d stale upload(s)",
            removed,
            stale,
        )
    return removed


async def sweep_forever(
    pool: asyncpg.Pool, store: BlobStore, *, grace: timedelta, interval: float
) -> None:
    while True:
        try:
            await sweep(pool, store, grace=grace)
        except (OSError, asyncpg.PostgresError) as error:
            log.warning("blob sweeper: %s (next try in %.0f s)", error, interval)
        except Exception:  # the store's client errors; keep sweeping later
            log.exception("blob sweeper failed (next try in %.0f s)", interval)
        await asyncio.sleep(interval)
