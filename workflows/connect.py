"""The Temporal client of the worker and of whoever drives a cycle (workflows.control): one
address, namespace and tracing interceptor from oneassess.config.Settings."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from oneassess import telemetry
from oneassess.config import Settings


async def connect(settings: Settings, *, runtime: Runtime | None = None) -> Client:
    extra = {"runtime": runtime} if runtime is not None else {}
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        interceptors=telemetry.temporal_interceptors(),
        **settings.temporal_connect_options(),
        **extra,
    )


def metrics_runtime(settings: Settings) -> Runtime | None:
    """A Temporal runtime whose core serves the SDK's Prometheus metrics (schedule-to-start
    latency, workflow task failures, sticky cache hits...) on ONEASSESS_METRICS_PORT; None
    (the default runtime, no metrics) when the port is 0."""
    if settings.metrics_port <= 0:
        return None
    return Runtime(
        telemetry=TelemetryConfig(
            metrics=PrometheusConfig(
                bind_address=f"{settings.bind_host}:{settings.metrics_port}",
                durations_as_seconds=True,
            )
        )
    )
