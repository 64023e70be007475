"""The worker's Temporal client: oneassess.temporal.connect (address, namespace, TLS, API key
and tracing from oneassess.config.Settings)."""

from __future__ import annotations

from temporalio.client import Client

from oneassess import temporal
from oneassess.config import Settings


async def connect(settings: Settings) -> Client:
    return await temporal.connect(settings)
