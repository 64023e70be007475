"""What `oneassess up` serves besides the gRPC services: the portal on PORTAL_PORT, as the
registered OIDC client `portal` (`oneassess status` lists it), and Prometheus metrics from
every service and the worker, on ports from ONEASSESS_METRICS_BASE_PORT."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from localstack.stack import METERED
from tests.e2e.conftest import oneassess, running_stack  # noqa: F401 - the fixture
from tests.workflows.harness import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_oneassess_up_serves_the_portal_and_its_sign_in_reaches_the_issuer(running_stack):  # noqa: F811
    portal = f"http://127.0.0.1:{running_stack['PORTAL_PORT']}"
    issuer = f"http://127.0.0.1:{running_stack['ISSUER_PORT']}"
    page = httpx.get(f"{portal}/signin", timeout=10)
    assert page.status_code == 200 and "统一身份认证登录" in page.text
    with httpx.Client(base_url=portal, timeout=10) as browser:
        to_issuer = browser.get("/auth/login")
        assert to_issuer.status_code in (302, 303)
        location = to_issuer.headers["location"]
        assert location.startswith(f"{issuer}/authorize?") and "code_challenge=" in location
        login = browser.get(location)
        assert login.status_code == 200 and 'name="username"' in login.text  # client known
    status = oneassess(running_stack, "status")
    assert "portal" in status.stdout and "running" in status.stdout


def _series(port: int) -> set[tuple[str, tuple]]:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    return {
        (sample.name, tuple(sorted(sample.labels.items())))
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_every_service_and_the_worker_serve_metrics(running_stack):  # noqa: F811
    base = int(running_stack["ONEASSESS_METRICS_BASE_PORT"])
    ports = {name: base + i for i, name in enumerate(METERED)}
    up = oneassess(running_stack, "status")  # health checks: an RPC to every service
    assert up.code == 0, up.stdout + up.stderr
    for name in ("indicators", "submissions", "scoring"):
        rpcs = {labels for n, labels in _series(ports[name]) if n == "oneassess_rpc_requests_total"}
        assert any(("service", name) in labels for labels in rpcs), (name, rpcs)

    async def outbox_sampled() -> bool:
        return any(n == "oneassess_outbox_pending" for n, _ in _series(ports["submissions"]))

    await eventually(outbox_sampled, what="the outbox depth on /metrics", within=60)

    async def worker_polls() -> bool:
        names = {n for n, _ in _series(ports["worker"])}
        return any(n.startswith("temporal_") for n in names)

    await eventually(worker_polls, what="the worker's Temporal SDK series", within=60)
