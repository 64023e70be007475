"""OpenTelemetry, set up once per process and off by default.

The exporter is chosen by the standard variables: OTEL_TRACES_EXPORTER=console|otlp (none
when unset), OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME. When on, spans cover gRPC
servers and clients, asyncpg queries and Temporal clients, workflows and activities, and
the trace context travels across all of them, so one trace follows an upload to the
workflow it wakes.
"""

from __future__ import annotations

import logging
import os

from opentelemetry import trace

log = logging.getLogger(__name__)
_enabled: bool | None = None


def enabled() -> bool:
    return bool(_enabled)


def setup(service_name: str) -> bool:
    """Install the tracer provider and instrumentations; returns whether tracing is on."""
    global _enabled
    if _enabled is not None:
        return _enabled
    exporter_name = os.environ.get("OTEL_TRACES_EXPORTER", "none").strip().lower()
    if exporter_name in ("", "none") or os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        _enabled = False
        return False

    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    if exporter_name == "console":
        exporter = ConsoleSpanExporter()
    elif exporter_name == "otlp":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    else:
        raise ValueError(f"OTEL_TRACES_EXPORTER={exporter_name!r}: use console, otlp or none")

    name = os.environ.get("OTEL_SERVICE_NAME", f"oneassess-{service_name}")
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)

    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

    AsyncPGInstrumentor().instrument()
    _enabled = True
    log.info("tracing on: exporter=%s service=%s", exporter_name, name)
    return True


def server_interceptors() -> list:
    if not _enabled:
        return []
    from opentelemetry.instrumentation.grpc import aio_server_interceptor

    return [aio_server_interceptor()]


def client_interceptors() -> list:
    if not _enabled:
        return []
    from opentelemetry.instrumentation.grpc import aio_client_interceptors

    return list(aio_client_interceptors())


def temporal_interceptors() -> list:
    if not _enabled:
        return []
    from temporalio.contrib.opentelemetry import TracingInterceptor

    return [TracingInterceptor()]


# The header Temporal's TracingInterceptor reads a caller's trace context from.
TEMPORAL_TRACE_HEADER = "_tracer-data"


def current_trace_carrier() -> dict[str, str]:
    """The current trace context as W3C headers ({} when tracing is off), to store with an
    event that is delivered later (the outbox)."""
    if not _enabled:
        return {}
    from opentelemetry import propagate

    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def shutdown() -> None:
    provider = trace.get_tracer_provider()
    if hasattr(provider, "shutdown"):
        provider.shutdown()
