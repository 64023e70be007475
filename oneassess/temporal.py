"""The one way a process that may reach Temporal (the worker, the services) connects to it:
address, namespace, TLS (a cluster's CA, mTLS client certificate and key), a Temporal Cloud
API key, and the tracing interceptor, all from oneassess.config.Settings. The CLI, the demo
and the portal never import this module (an import-linter contract): people reach Temporal
only through the services' RPCs.
"""

from __future__ import annotations

import asyncio

from temporalio.client import Client
from temporalio.runtime import Runtime
from temporalio.service import RPCError, TLSConfig

from oneassess import telemetry
from oneassess.config import Settings


def tls_config(settings: Settings) -> TLSConfig | bool:
    files = settings.temporal_tls_files()
    if files is None:
        return False
    return TLSConfig(**files)


# Connecting gives up after this long with one sentence (TemporalUnreachable), whether the
# server refuses connections or accepts them and never answers (stopped, or a network that
# drops packets): nothing that needs Temporal hangs on it.
CONNECT_TIMEOUT_SECONDS = 5.0


class TemporalUnreachable(RuntimeError):
    """Temporal did not answer: one sentence naming the address."""


async def connect(
    settings: Settings,
    *,
    within_seconds: float = CONNECT_TIMEOUT_SECONDS,
    runtime: Runtime | None = None,
) -> Client:
    """A client of the configured Temporal; `runtime` for one that serves the SDK's metrics."""
    address = settings.temporal_address
    extra = {"runtime": runtime} if runtime is not None else {}
    try:
        async with asyncio.timeout(within_seconds):
            return await Client.connect(
                address,
                namespace=settings.temporal_namespace,
                interceptors=telemetry.temporal_interceptors(),
                tls=tls_config(settings),
                api_key=settings.temporal_api_key or None,
                **extra,
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
