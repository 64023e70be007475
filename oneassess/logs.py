"""Process logging: plain text by default, or one JSON object per line with the current
OpenTelemetry trace and span ids (ONEASSESS_LOG_FORMAT=json), for log collectors that join
logs to traces."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime

from opentelemetry import trace

PLAIN = "%(asctime)s %(name)s %(levelname)s %(message)s"


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "service": self.service,
            "message": record.getMessage(),
        }
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            entry["trace_id"] = format(span.trace_id, "032x")
            entry["span_id"] = format(span.span_id, "016x")
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(service: str, *, level: int = logging.INFO, log_format: str | None = None) -> None:
    """Root logging for a process: ONEASSESS_LOG_FORMAT=json|text (text by default)."""
    chosen = (log_format or os.environ.get("ONEASSESS_LOG_FORMAT", "text")).strip().lower()
    handler = logging.StreamHandler()
    if chosen == "json":
        handler.setFormatter(JsonFormatter(service))
    elif chosen in ("", "text"):
        handler.setFormatter(logging.Formatter(PLAIN))
    else:
        raise ValueError(f"ONEASSESS_LOG_FORMAT={chosen!r}: use text or json")
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
