"""The Temporal client of the worker and of whoever drives a cycle in tests and benchmarks
(workflows.control): oneassess.temporal.connect (address, namespace, TLS, API key and tracing
from oneassess.config.Settings), which gives up with one sentence (TemporalUnreachable)
instead of hanging.
"""

from __future__ import annotations

import logging

from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from oneassess import temporal
from oneassess.config import Settings
from oneassess.temporal import CONNECT_TIMEOUT_SECONDS, TemporalUnreachable

log = logging.getLogger(__name__)

__all__ = ["CONNECT_TIMEOUT_SECONDS", "TemporalUnreachable", "connect"]


async def connect(
    settings: Settings,
    *,
    within_seconds: float = CONNECT_TIMEOUT_SECONDS,
    runtime: Runtime | None = None,
) -> Client:
    return await temporal.connect(settings, within_seconds=within_seconds, runtime=runtime)


def metrics_runtime(settings: Settings) -> Runtime | None:
    """A Temporal runtime whose core serves the SDK's Prometheus metrics (schedule-to-start
    latency, workflow task failures, sticky cache hits...) on ONEASSESS_METRICS_PORT; None
    (the default runtime, no metrics) when the port is 0."""
    if settings.metrics_port <= 0:
        return None
    address = f"{settings.bind_host}:{settings.metrics_port}"
    try:
        return Runtime(
            telemetry=TelemetryConfig(
                metrics=PrometheusConfig(bind_address=address, durations_as_seconds=True)
            )
        )
    except ValueError as err:  # the port is taken: metrics are worth a warning, not the worker
        log.warning("metrics off: %s (%s)", err, address)
        return None
