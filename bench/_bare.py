"""The baseline of bench_workflows_city.py: one timer and one activity per workflow, run by a
worker process of its own (`python bench/_bare.py TEMPORAL_ADDRESS`) so its RSS compares with
the city worker's."""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

BARE_QUEUE = "bare"


@activity.defn(name="bare_touch")
async def bare_touch(n: int) -> int:
    return n


@workflow.defn(name="BareWorkflow")
class BareWorkflow:
    @workflow.run
    async def run(self, n: int) -> int:
        await workflow.sleep(timedelta(seconds=1))
        return await workflow.execute_activity(
            "bare_touch", n, start_to_close_timeout=timedelta(seconds=30)
        )


async def serve(address: str) -> None:
    client = await Client.connect(address, namespace="oneassess")
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    # Registered from the importable module, never from __main__ (the sandbox re-imports it).
    from bench._bare import BareWorkflow as workflow_class
    from bench._bare import bare_touch as activity_fn

    async with Worker(
        client, task_queue=BARE_QUEUE, workflows=[workflow_class], activities=[activity_fn]
    ):
        print("bare worker polling", flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1]))
