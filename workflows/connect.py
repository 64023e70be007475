"""The Temporal client of the worker and of whoever drives a cycle in tests and benchmarks
(workflows.control): oneassess.temporal.connect (address, namespace, TLS, API key and tracing
from oneassess.config.Settings), which gives up with one sentence (TemporalUnreachable)
instead of hanging.
"""

from __future__ import annotations

from temporalio.client import Client

from oneassess import temporal
from oneassess.config import Settings
from oneassess.temporal import CONNECT_TIMEOUT_SECONDS, TemporalUnreachable

__all__ = ["CONNECT_TIMEOUT_SECONDS", "TemporalUnreachable", "connect"]


async def connect(settings: Settings, *, within_seconds: float = CONNECT_TIMEOUT_SECONDS) -> Client:
    return await temporal.connect(settings, within_seconds=within_seconds)
