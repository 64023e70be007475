"""`python -m workflows.worker`: the worker process of the local stack and of a deployment.

Settings come from the environment (oneassess.config.Settings and
workflows.config.NotifySettings). It creates `$ONEASSESS_HOME/run/worker.ready` once it
polls and removes it on exit; SIGTERM/SIGINT shut it down gracefully (in-flight activities
get the shutdown grace to finish).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from contextlib import suppress
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Worker

from oneassess import telemetry
from oneassess.client.channels import ServiceClients
from oneassess.config import Settings, load
from services.common.server import service_token
from workflows.activities import CycleActivities
from workflows.config import NotifySettings, WorkerSettings
from workflows.cycle import CycleWorkflow
from workflows.export import HistoryExportWorkflow
from workflows.notify import channel_from
from workflows.unit import UnitWorkflow

log = logging.getLogger("oneassess.worker")

WORKFLOWS = [CycleWorkflow, UnitWorkflow, HistoryExportWorkflow]


async def connect(settings: Settings) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        interceptors=telemetry.temporal_interceptors(),
    )


def build_worker(
    client: Client,
    settings: Settings,
    notify: NotifySettings,
    services: ServiceClients,
    tuning: WorkerSettings | None = None,
) -> Worker:
    tuning = tuning or WorkerSettings()
    activities = CycleActivities(
        services, client, channel_from(notify), notify, task_queue=settings.temporal_task_queue
    )
    return Worker(
        client,
        task_queue=settings.temporal_task_queue,
        workflows=WORKFLOWS,
        activities=activities.all(),
        graceful_shutdown_timeout=timedelta(seconds=settings.shutdown_grace_seconds),
        max_cached_workflows=tuning.max_cached_workflows,
    )


def ready_file(settings: Settings) -> Path:
    return settings.home / "run" / "worker.ready"


async def serve(settings: Settings, notify: NotifySettings) -> None:
    telemetry.setup("worker")
    client = await connect(settings)
    services = ServiceClients.from_settings(settings, service_token(settings, "worker"))
    worker = build_worker(client, settings, notify, services)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    ready = ready_file(settings)
    ready.parent.mkdir(parents=True, exist_ok=True)
    try:
        async with worker:
            ready.write_text(str(settings.temporal_task_queue))
            log.info(
                "worker polling %s (namespace %s, task queue %s)",
                settings.temporal_address,
                settings.temporal_namespace,
                settings.temporal_task_queue,
            )
            await stop.wait()
            log.info("worker shutting down")
    finally:
        ready.unlink(missing_ok=True)
        await services.close()
        with suppress(Exception):
            telemetry.shutdown()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    asyncio.run(serve(load(), NotifySettings()))


if __name__ == "__main__":
    main()
