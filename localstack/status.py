"""`oneassess status`: each process of the local stack as it is now: running, stopped or
"unhealthy (why)" from its own health check (a service that runs but cannot work says so),
with its pid, endpoint, log and a detail (restarts by the supervisor, the outbox's depth)."""

from __future__ import annotations

import json

from localstack.postgres import EmbeddedPostgres
from localstack.stack import (
    SERVICES,
    Paths,
    alive,
    endpoints,
    processes,
    redacted,
    supervisor_process,
    temporal_ready,
)
from oneassess.client import health
from oneassess.client.channels import channel
from oneassess.config import Settings


async def status(settings: Settings) -> list[dict[str, str]]:
    """Each process: state ("running", "stopped" or "unhealthy (why)"), pid, endpoint, log,
    and a detail (restarts by the supervisor; the outbox's depth for submissions)."""
    paths = Paths(settings.home)
    rows = []
    if not settings.database_url:
        pg = EmbeddedPostgres(settings.home / "postgres")
        pid = pg.running_pid()
        rows.append(
            {
                "name": "postgres",
                "state": "running" if pid else "stopped",
                "pid": str(pid or ""),
                "endpoint": redacted(pg.url) if pid else "",
                "log": str(pg.data_dir / "server.log"),
                "detail": "",
            }
        )
    ends = endpoints(settings)
    restarts = _restarts(paths)
    for proc in [*processes(settings), supervisor_process()]:
        pid = alive(paths.pid(proc.name))
        state, detail = ("running", "") if pid else ("stopped", "")
        if pid and proc.name in SERVICES:
            state, detail = await _service_state(settings, proc.port)
        elif pid and proc.name == "temporal":
            if not await temporal_ready(settings, within_seconds=3):
                state = "unhealthy (not answering)"
        elif pid and proc.name == "worker" and not paths.worker_ready.exists():
            state = "unhealthy (not polling yet)"
        if restarts.get(proc.name):
            detail = ", ".join(filter(None, [f"restarted {restarts[proc.name]}x", detail]))
        rows.append(
            {
                "name": proc.name,
                "state": state,
                "pid": str(pid or ""),
                "endpoint": ends.get(proc.name, "") if pid else "",
                "log": str(paths.log(proc.name)),
                "detail": detail,
            }
        )
    return rows


def _restarts(paths: Paths) -> dict[str, int]:
    try:
        data = json.loads(paths.supervisor_state.read_text())
        return {name: int(child.get("restarts", 0)) for name, child in data.items()}
    except (OSError, ValueError, AttributeError):
        return {}


async def _service_state(settings: Settings, port: int | None) -> tuple[str, str]:
    async with channel(f"127.0.0.1:{port}", None, tls_root=settings.tls_root()) as ch:
        result = await health.check(ch)
    outbox = result.report.get("outbox") or {}
    detail = ""
    if "depth" in outbox:
        oldest = outbox.get("oldest_seconds")
        detail = f"outbox {outbox['depth']} undelivered" + (
            f", oldest {oldest:.0f}s" if oldest is not None else ""
        )
        if not outbox.get("listening", True):
            detail += ", not listening"
    return result.state, detail
