"""Which failures are outages (UNAVAILABLE, one line) and which are bugs (INTERNAL)."""

from __future__ import annotations

import logging

import asyncpg
import pytest
from temporalio.service import RPCError, RPCStatusCode

from services.common.outage import RateLimitedLog, outage_cause


@pytest.mark.parametrize(
    ("error", "starts"),
    [
        (ConnectionRefusedError(111, "Connection refused"), "database unavailable"),
        (asyncpg.CannotConnectNowError("the database system is starting up"), "database"),
        (asyncpg.ConnectionDoesNotExistError("connection was closed in the middle"), "database"),
        (asyncpg.TooManyConnectionsError("sorry, too many clients already"), "database"),
        (asyncpg.InterfaceError("cannot call Connection.fetch(): connection is closed"), "data"),
        (TimeoutError(), "database unavailable (timed out"),
        (RPCError("unavailable", RPCStatusCode.UNAVAILABLE, b""), "Temporal unavailable"),
        (RuntimeError("Failed client connect: Server connection error"), "Temporal unavailable"),
    ],
)
def test_outages(error, starts):
    assert (outage_cause(error) or "").startswith(starts), outage_cause(error)


@pytest.mark.parametrize(
    "error",
    [
        KeyError("x"),
        ValueError("bad"),
        FileNotFoundError(2, "No such file"),
        asyncpg.InterfaceError("the server expects 2 arguments for this query, 1 was passed"),
        asyncpg.UniqueViolationError("duplicate key"),
        RPCError("bad", RPCStatusCode.INVALID_ARGUMENT, b""),
    ],
)
def test_bugs_are_not_outages(error):
    assert outage_cause(error) is None


def test_a_burst_of_the_same_outage_is_one_line(caplog):
    caplog.set_level(logging.WARNING)
    limited = RateLimitedLog(logging.getLogger("t"), every=60)
    said = [limited.warning("database", "down") for _ in range(50)]
    assert said.count(True) == 1 and len(caplog.records) == 1
