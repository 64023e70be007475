"""The Temporal client of the worker and of whoever drives a cycle (workflows.control): one
address, namespace and tracing interceptor from oneassess.config.Settings."""

from __future__ import annotations

from temporalio.client import Client

from oneassess import telemetry
from oneassess.config import Settings


async def connect(settings: Settings) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        interceptors=telemetry.temporal_interceptors(),
        **settings.temporal_connect_options(),
    )
