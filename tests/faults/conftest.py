"""Outage tests: a TCP proxy (tests/support/proxy.py) between the services and PostgreSQL and
between the services/worker and Temporal, a stopped database, killed processes.

Every module here is marked `faults`; the slowest tests also `slow`
(`pytest -m "faults and not slow"` runs the quick ones)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlparse

import pytest_asyncio

from tests.support.proxy import TcpProxy


async def wait_for(
    condition: Callable[[], Awaitable[bool]], what: str, *, within: float = 60.0
) -> float:
    """Poll `condition` until true; returns the seconds it took; fails naming `what`."""
    started = time.monotonic()
    while not await condition():
        if time.monotonic() - started > within:
            raise AssertionError(f"not within {within:.0f}s: {what}")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


def through(url: str, proxy: TcpProxy) -> str:
    """`url` (postgresql://...) with its host and port replaced by the proxy's."""
    parsed = urlparse(url)
    credentials, _, _ = parsed.netloc.rpartition("@")
    netloc = f"{credentials}@127.0.0.1:{proxy.port}" if credentials else f"127.0.0.1:{proxy.port}"
    return parsed._replace(netloc=netloc).geturl()


@pytest_asyncio.fixture
async def database_proxy(database_url: str):
    """A TCP proxy in front of this test's PostgreSQL database."""
    parsed = urlparse(database_url)
    proxy = await TcpProxy.start(parsed.hostname, parsed.port)
    yield proxy
    await proxy.close()
