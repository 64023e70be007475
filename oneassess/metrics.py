"""Prometheus metrics of every process, served on its metrics port (prometheus-client).

Services: RPC rate, errors and latency by method and status code (`oneassess_rpc_*`, from the
server interceptor in services.common.metrics), evidence bytes accepted, the outbox's depth,
oldest pending age and delivery lag, scoring run time. The worker: the Temporal SDK's own
metrics (schedule-to-start latency, workflow task failures, sticky cache...) from the SDK's
Rust core on its metrics port (`temporal_*`).

Off unless a port is configured (ONEASSESS_METRICS_PORT; 0 = off).
"""

from __future__ import annotations

import logging

from prometheus_client import Counter, Gauge, Histogram, start_http_server

log = logging.getLogger(__name__)

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

RPC_REQUESTS = Counter(
    "oneassess_rpc_requests",
    "RPCs handled, by service, method and status code.",
    ["service", "method", "code"],
)
RPC_SECONDS = Histogram(
    "oneassess_rpc_duration_seconds",
    "Time to handle an RPC (until its last response), by service and method.",
    ["service", "method"],
    buckets=_LATENCY_BUCKETS,
)
UPLOAD_BYTES = Counter("oneassess_upload_bytes", "Evidence bytes of accepted (committed) uploads.")
UPLOADS = Counter(
    "oneassess_uploads", "Accepted uploads, by whether they were deduplicated.", ["deduplicated"]
)
OUTBOX_PENDING = Gauge("oneassess_outbox_pending", "Outbox events not yet delivered to Temporal.")
OUTBOX_OLDEST_SECONDS = Gauge(
    "oneassess_outbox_oldest_pending_seconds",
    "Age of the oldest undelivered outbox event (0 when none): the relay's current lag.",
)
OUTBOX_LAG_SECONDS = Histogram(
    "oneassess_outbox_delivery_lag_seconds",
    "From an event's commit to its signal landing in Temporal.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)
OUTBOX_SIGNAL_SECONDS = Histogram(
    "oneassess_outbox_signal_seconds",
    "Time Temporal took to answer one signal of the relay (landed or refused).",
    buckets=_LATENCY_BUCKETS,
)
OUTBOX_SIGNAL_ROWS = Histogram(
    "oneassess_outbox_signal_rows",
    "Outbox events one signal carried (a unit's evidence travels as one batch per round).",
    buckets=(1, 2, 5, 10, 20, 50, 100),
)
OUTBOX_DELIVERED = Counter("oneassess_outbox_delivered", "Outbox events delivered to Temporal.")
OUTBOX_FAILED = Counter(
    "oneassess_outbox_failed_attempts", "Outbox delivery attempts that failed (retried later)."
)
SCORING_RUN_SECONDS = Histogram(
    "oneassess_scoring_run_seconds",
    "Time to compute one scoring run of a cycle.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)

_serving: dict[int, object] = {}


def serve(port: int, host: str = "0.0.0.0") -> int:
    """Serve this process's metrics on port (once per process and port); returns the port,
    or 0 when the port is taken (the process runs on without metrics)."""
    if port <= 0:
        return 0
    if port not in _serving:
        try:
            server, _thread = start_http_server(port, addr=host)
        except OSError as err:  # metrics are worth a warning, never the service itself
            log.warning("metrics off: cannot serve on %s:%d (%s)", host, port, err)
            return 0
        _serving[port] = server
        log.info("metrics on http://%s:%d/metrics", host, port)
    return port
