"""Telling an outage from a bug: a dependency that cannot be reached (PostgreSQL, Temporal, a
peer service) is a pause the caller should retry (UNAVAILABLE), logged once in a while with
its cause; anything else is a bug (INTERNAL, with its traceback).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import time

import asyncpg
import grpc

# asyncpg's own words for "the connection is gone or cannot be had".
_DATABASE_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.CannotConnectNowError,  # starting up, shutting down, in recovery
    asyncpg.ConnectionDoesNotExistError,  # dropped mid-query or mid-transaction
    asyncpg.TooManyConnectionsError,
    asyncpg.ConnectionFailureError,  # class 08: connection exception
    asyncpg.AdminShutdownError,  # class 57P01..03: the server is shutting down
    asyncpg.InterfaceError,  # "connection is closed", "pool is closing", ...
)
_NETWORK_ERRNOS = frozenset(
    {errno.ECONNREFUSED, errno.ECONNRESET, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT}
)


def outage_cause(error: BaseException) -> str | None:
    """A short cause when `error` means a dependency is unreachable, else None (a bug)."""
    if isinstance(error, asyncpg.InterfaceError) and not _closed_connection(error):
        return None  # misuse of the driver is a bug, not an outage
    if isinstance(error, _DATABASE_CONNECTION_ERRORS):
        return f"database unavailable ({type(error).__name__}: {_first_line(error)})"
    if isinstance(error, ConnectionError) or (
        isinstance(error, OSError) and error.errno in _NETWORK_ERRNOS
    ):
        # ConnectionRefusedError/ResetError from the socket: the database is down or restarting.
        return f"database unavailable ({type(error).__name__}: {_first_line(error)})"
    if isinstance(error, TimeoutError | asyncio.TimeoutError):
        # A pool acquire or a connect that timed out: the database is too slow or gone.
        return "database unavailable (timed out waiting for a connection)"
    if isinstance(error, grpc.aio.AioRpcError) and error.code() in (
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
    ):
        return f"a peer service is unavailable ({error.code().name}: {error.details() or ''})"
    if _temporal_unreachable(error):
        return f"Temporal unavailable ({_first_line(error)})"
    return None


def _closed_connection(error: BaseException) -> bool:
    text = str(error).lower()
    return any(word in text for word in ("closed", "closing", "not connected", "lost", "terminat"))


def _temporal_unreachable(error: BaseException) -> bool:
    from temporalio.service import RPCError, RPCStatusCode

    if isinstance(error, RPCError):
        return error.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED)
    # The core bridge says "Failed client connect: ..." as a RuntimeError.
    return isinstance(error, RuntimeError) and "client connect" in str(error).lower()


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:200] if text else ""


class RateLimitedLog:
    """At most one line per `every` seconds per key; the lines skipped are counted in the
    next one, so a burst of failing calls leaves one line with its cause, not a traceback each."""

    def __init__(self, logger: logging.Logger, every: float = 10.0) -> None:
        self._log = logger
        self._every = every
        self._last: dict[str, float] = {}
        self._skipped: dict[str, int] = {}

    def warning(self, key: str, message: str) -> bool:
        """Log `message` unless `key` was logged within `every` seconds; True when logged."""
        now = time.monotonic()
        last = self._last.get(key)
        if last is not None and now - last < self._every:
            self._skipped[key] = self._skipped.get(key, 0) + 1
            return False
        skipped = self._skipped.pop(key, 0)
        suffix = f" (and {skipped} more like it)" if skipped else ""
        self._log.warning("%s%s", message, suffix)
        self._last[key] = now
        return True
