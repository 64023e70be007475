"""Every service and the worker expose Prometheus metrics on their metrics port: RPC rate,
errors and latency, uploads and the outbox from the services; the Temporal SDK's series from
the worker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import grpc
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from localstack.ports import free_port
from services.common.auth import Role
from tests.conftest import issuer_environment, make_settings, start_stack, stop_stack
from tests.support import submissions as s
from tests.workflows.harness import eventually

REPO = Path(__file__).resolve().parents[2]


def scrape(port: int) -> dict[tuple[str, tuple], float]:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels) -> float:
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= set(ls))


@pytest.fixture
async def stack(tmp_path, database_url):
    port = free_port()
    settings = make_settings(tmp_path / "home", database_url, ONEASSESS_METRICS_PORT=str(port))
    running = await start_stack(settings, ("indicators", "submissions", "scoring"))
    try:  # a failed set-up stops the stack too: nothing outlives its database
        await s.fold_example(running.admin)
        await s.open_window(running.admin)
        yield running, port
    finally:
        await stop_stack(running)


async def test_services_count_rpcs_errors_uploads_and_the_outbox(stack):
    running, port = stack
    before = scrape(port)
    unit = running.as_(Role.UNIT, unit=s.UNIT)
    data = s.pdf(4096)
    await s.upload(unit, data)
    with pytest.raises(grpc.aio.AioRpcError):  # another unit's ask: refused
        await s.upload(running.as_(Role.UNIT, unit=s.OTHER_UNIT), data)
    after = scrape(port)

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    ok = {"service": "submissions", "method": "Upload", "code": "OK"}
    denied = {"service": "submissions", "method": "Upload", "code": "PERMISSION_DENIED"}
    assert grew("oneassess_rpc_requests_total", **ok) == 1
    assert grew("oneassess_rpc_requests_total", **denied) == 1
    assert grew("oneassess_rpc_duration_seconds_count", service="submissions", method="Upload") == 2
    assert value(after, "oneassess_rpc_requests_total", service="indicators") > 0
    assert grew("oneassess_upload_bytes_total") == len(data)

    # The upload's event waits in the outbox (no Temporal here): the sampler reports it.
    async def pending() -> bool:
        return value(scrape(port), "oneassess_outbox_pending") >= 1

    await eventually(pending, what="the outbox depth on /metrics", within=30)
    assert ("oneassess_outbox_oldest_pending_seconds", ()) in scrape(port)
    assert any(n == "oneassess_outbox_delivery_lag_seconds_count" for n, _ in after)
    assert any(n == "oneassess_scoring_run_seconds_count" for n, _ in after)


async def test_the_worker_serves_temporal_sdk_metrics(dev_server, tmp_path):
    port = free_port()
    home = tmp_path / "home"
    env = {
        **os.environ,
        "ONEASSESS_HOME": str(home),
        "TEMPORAL_ADDRESS": dev_server.client.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": dev_server.client.namespace,
        "TEMPORAL_TASK_QUEUE": "metrics-test",
        **issuer_environment(),
        "ONEASSESS_METRICS_PORT": str(port),
        "ONEASSESS_SHUTDOWN_GRACE": "1",
    }
    log = tmp_path / "worker.log"
    with log.open("ab") as out:
        worker = subprocess.Popen(  # noqa: ASYNC220
            [sys.executable, "-m", "workflows.worker"],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:

        async def polling_series() -> bool:
            assert worker.poll() is None, log.read_bytes()[-3000:]
            try:
                names = {n for n, _ in scrape(port)}
            except httpx.HTTPError:
                return False
            return any(n.startswith("temporal_") for n in names) and any(
                "poll" in n or "worker" in n for n in names
            )

        await eventually(polling_series, what="Temporal SDK series on /metrics", within=60)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
