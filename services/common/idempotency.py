"""Request-id idempotency (AIP-155) for mutating RPCs.

The work and the stored response commit in one transaction with the (method, request id)
row that claims it, so a retry returns the original response and concurrent duplicates run
the work exactly once (the second waits on the first's row). Reusing a request id for a
different request is an error.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
from google.protobuf.message import Message

from services.common.auth import current_principal
from services.common.errors import InvalidArgument

R = TypeVar("R", bound=Message)


def request_fingerprint(request: Message, *extra: bytes) -> str:
    """sha256 of the request without its request_id (plus any streamed content hashes)."""
    copy = type(request)()
    copy.CopyFrom(request)
    if "request_id" in copy.DESCRIPTOR.fields_by_name:
        copy.ClearField("request_id")
    digest = hashlib.sha256(copy.SerializeToString(deterministic=True))
    for part in extra:
        digest.update(part)
    return digest.hexdigest()


def _for_caller(fingerprint: str) -> str:
    """A request id answers only the caller that made it: a replay never skips the checks
    `work` makes for someone else."""
    caller = current_principal.get(None)
    return hashlib.sha256(f"{fingerprint}/{caller.subject if caller else ''}".encode()).hexdigest()


async def _claim(conn, method: str, request_id: str, fingerprint: str) -> bool:
    """Claims the request id for this transaction. A concurrent duplicate's INSERT waits on
    the row's key until this transaction ends, then finds the row (or, after a rollback,
    claims it itself). run_once fills the response in before its commit: nobody sees it
    blank."""
    return bool(
        await conn.fetchval(
            "INSERT INTO idempotency (method, request_id, request_sha256, response)"
            " VALUES ($1, $2, $3, '') ON CONFLICT DO NOTHING RETURNING true",
            method,
            request_id,
            fingerprint,
        )
    )


async def run_once(
    pool: asyncpg.Pool,
    *,
    method: str,
    request_id: str,
    fingerprint: str,
    response_type: type[R],
    work: Callable[[asyncpg.Connection], Awaitable[R]],
) -> R:
    """Run `work` in a transaction once per (method, request_id); replay its response after."""
    fingerprint = _for_caller(fingerprint)
    async with pool.acquire() as conn, conn.transaction():
        if not request_id:
            return await work(conn)
        while not await _claim(conn, method, request_id, fingerprint):
            found = await _stored(conn, method, request_id, fingerprint, response_type)
            if found is not None:  # else the row went in between: claim it after all
                return found
        response = await work(conn)
        await conn.execute(
            "UPDATE idempotency SET response = $3 WHERE method = $1 AND request_id = $2",
            method,
            request_id,
            response.SerializeToString(deterministic=True),
        )
        return response


def method_of(request: Message) -> str:
    """The RPC a request message belongs to, by the AIP naming rule (`XRequest` -> `X`)."""
    return request.DESCRIPTOR.name.removesuffix("Request")


async def once(
    pool: asyncpg.Pool,
    request: Message,
    response_type: type[R],
    work: Callable[[asyncpg.Connection], Awaitable[R]],
    *,
    method: str | None = None,
    request_id: str | None = None,
    extra: tuple[bytes, ...] = (),
) -> R:
    """`run_once` for a handler: keyed by the request's own `request_id` and its RPC's name
    (AIP-155: a repeat returns the original response; a different request under the same id is
    refused). For a request that is not the RPC's own message (a streamed header) pass `method`
    and `request_id`; `extra` adds content hashes the message does not carry."""
    return await run_once(
        pool,
        method=method or method_of(request),
        request_id=request.request_id if request_id is None else request_id,
        fingerprint=request_fingerprint(request, *extra),
        response_type=response_type,
        work=work,
    )


async def replay(
    pool_or_conn, *, method: str, request_id: str, fingerprint: str, response_type: type[R]
) -> R | None:
    """The stored response of an earlier identical request, if any (checked before slow work)."""
    if not request_id:
        return None
    return await _stored(pool_or_conn, method, request_id, _for_caller(fingerprint), response_type)


async def _stored(
    pool_or_conn, method: str, request_id: str, fingerprint: str, response_type: type[R]
) -> R | None:
    """The stored response under (method, request id), if any; `fingerprint` already names
    its caller. A different request under the same id is refused."""
    row = await pool_or_conn.fetchrow(
        "SELECT request_sha256, response FROM idempotency WHERE method = $1 AND request_id = $2",
        method,
        request_id,
    )
    if row is None:
        return None
    if row["request_sha256"] != fingerprint:
        raise InvalidArgument.field(
            "request_id",
            f"request id {request_id!r} was already used for a different {method} request",
        )
    return response_type.FromString(row["response"])


async def seen(pool_or_conn, *, method: str, request_id: str) -> bool:
    """Whether a request id already answered `method` (a cheap look before slow work)."""
    if not request_id:
        return False
    return bool(
        await pool_or_conn.fetchval(
            "SELECT 1 FROM idempotency WHERE method = $1 AND request_id = $2", method, request_id
        )
    )
