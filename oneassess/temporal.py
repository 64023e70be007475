"""The one way a process that may reach Temporal (the worker, the services) connects to it:
address, namespace, TLS (a cluster's CA, mTLS client certificate and key), a Temporal Cloud
API key, and the tracing interceptor, all from oneassess.config.Settings. The CLI, the demo
and the portal never import this module (an import-linter contract): people reach Temporal
only through the services' RPCs.
"""

from __future__ import annotations

from temporalio.client import Client
from temporalio.service import TLSConfig

from oneassess import telemetry
from oneassess.config import Settings


def tls_config(settings: Settings) -> TLSConfig | bool:
    files = settings.temporal_tls_files()
    if files is None:
        return False
    return TLSConfig(**files)


async def connect(settings: Settings) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        interceptors=telemetry.temporal_interceptors(),
        tls=tls_config(settings),
        api_key=settings.temporal_api_key or None,
    )
