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

from oneassess import logs, telemetry
from oneassess.client.channels import ServiceClients
from oneassess.config import Settings, load
from services.common.server import service_token
from workflows.activities.catalogue import CatalogueActivities
from workflows.activities.collection import CollectionActivities
from workflows.activities.exports import ExportActivities
from workflows.activities.notifications import NotificationActivities
from workflows.activities.scoring import ScoringActivities
from workflows.activities.units import UnitSignalActivities
from workflows.config import NotifySettings, WorkerSettings
from workflows.connect import connect, metrics_runtime
from workflows.cycle import CycleWorkflow
from workflows.export import HistoryExportWorkflow
from workflows.notify import Channel, channel_from
from workflows.unit import UnitWorkflow

log = logging.getLogger("oneassess.worker")

WORKFLOWS = [CycleWorkflow, UnitWorkflow, HistoryExportWorkflow]


def activities(
    services: ServiceClients,
    temporal: Client,
    channel: Channel,
    notify: NotifySettings,
    *,
    task_queue: str,
) -> list:
    """Every activity the workflows call, bound to its injected dependencies."""
    catalogue = CatalogueActivities(services)
    collection = CollectionActivities(services)
    scoring = ScoringActivities(services)
    notifications = NotificationActivities(services, channel, notify)
    units = UnitSignalActivities(services, temporal)
    exports = ExportActivities(services, temporal, task_queue=task_queue)
    return [
        catalogue.load_cycle,
        collection.open_collection,
        collection.close_collection,
        collection.extend_unit,
        scoring.compute_scores,
        scoring.publish_scores,
        scoring.finalize_scores,
        notifications.remind_assessors,
        notifications.send_unit_digest,
        notifications.send_notice,
        units.signal_units,
        units.deliver_results,
        exports.start_history_export,
        exports.export_histories,
    ]


def build_worker(
    client: Client,
    settings: Settings,
    notify: NotifySettings,
    services: ServiceClients,
    tuning: WorkerSettings | None = None,
) -> Worker:
    tuning = tuning or WorkerSettings()
    return Worker(
        client,
        task_queue=settings.temporal_task_queue,
        workflows=WORKFLOWS,
        activities=activities(
            services, client, channel_from(notify), notify, task_queue=settings.temporal_task_queue
        ),
        graceful_shutdown_timeout=timedelta(seconds=settings.shutdown_grace_seconds),
        max_cached_workflows=tuning.max_cached_workflows,
    )


def ready_file(settings: Settings) -> Path:
    return settings.home / "run" / "worker.ready"


async def serve(settings: Settings, notify: NotifySettings) -> None:
    telemetry.setup("worker")
    client = await connect(settings, within_seconds=30, runtime=metrics_runtime(settings))
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
    logs.configure("worker")
    asyncio.run(serve(load(), NotifySettings()))


if __name__ == "__main__":
    main()
