"""ONEASSESS_LOG_FORMAT=json: one JSON object per line, with the trace and span ids of the
span that was current when the line was logged."""

from __future__ import annotations

import io
import json
import logging

from opentelemetry.sdk.trace import TracerProvider

from oneassess.logs import JsonFormatter


def test_a_line_carries_the_current_trace_and_span_ids():
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter("submissions"))
    logger = logging.getLogger("test.json.logs")
    logger.addHandler(handler)
    logger.propagate = False
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("upload") as span:
        logger.warning("stored %s", "blob")
    logger.warning("outside any span")
    inside, outside = (json.loads(line) for line in out.getvalue().splitlines())
    context = span.get_span_context()
    assert inside["message"] == "stored blob"
    assert (inside["service"], inside["level"]) == ("submissions", "warning")
    assert inside["trace_id"] == format(context.trace_id, "032x")
    assert inside["span_id"] == format(context.span_id, "016x")
    assert "trace_id" not in outside
