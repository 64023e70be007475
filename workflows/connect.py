"""The Temporal client of the worker and of whoever drives a cycle (workflows.control): one
address, namespace and tracing interceptor from oneassess.config.Settings.

Connecting gives up after CONNECT_TIMEOUT_SECONDS with one sentence (TemporalUnreachable),
whether the server refuses connections or accepts them and never answers (stopped, or a
network that drops packets): a command that needs Temporal never hangs on it.
"""

from __future__ import annotations

import asyncio

from temporalio.client import Client
from temporalio.service import RPCError

from oneassess import telemetry
from oneassess.config import Settings

CONNECT_TIMEOUT_SECONDS = 5.0


class TemporalUnreachable(RuntimeError):
    """Temporal did not answer: one sentence naming the address."""


async def connect(settings: Settings, *, within_seconds: float = CONNECT_TIMEOUT_SECONDS) -> Client:
    address = settings.temporal_address
    try:
        return await asyncio.wait_for(
            Client.connect(
                address,
                namespace=settings.temporal_namespace,
                interceptors=telemetry.temporal_interceptors(),
            ),
            timeout=within_seconds,
        )
    except TimeoutError:
        raise TemporalUnreachable(
            f"Temporal at {address} did not answer within {within_seconds:.0f}s"
        ) from None
    except (RuntimeError, OSError, RPCError) as err:  # the bridge's "Failed client connect: ..."
        raise TemporalUnreachable(f"Temporal at {address} is unreachable ({_cause(err)})") from None


def _cause(err: BaseException) -> str:
    """The bridge's long transport error in a few words."""
    text = str(err)
    for words, said in (
        ("refused", "connection refused"),
        ("timed out", "connection timed out"),
        ("reset", "connection reset"),
        ("dns error", "unknown host"),
        ("broken pipe", "connection lost"),
    ):
        if words in text.lower():
            return said
    first = text.strip().splitlines()[0] if text.strip() else type(err).__name__
    return first[:100]
