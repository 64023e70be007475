"""The portal against the real services: the three services in-process on free ports with a
fresh database (tests/conftest.py), the sample city folded and its collection window open,
and the portal served by uvicorn on a free port in the same event loop. Browser tests drive
the machine's Chromium through Playwright."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
import pytest_asyncio
import uvicorn

from localstack.ports import free_port
from oneassess.client.channels import ServiceClients
from services.portal.app import create_app
from tests.conftest import Stack
from tests.support.portal import csrf_of, password_of, register_callback, sign_in  # noqa: F401
from tests.support.submissions import fold_example, open_window

CHROMIUM = os.environ.get("PORTAL_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HAVE_CHROMIUM = os.path.exists(CHROMIUM)
UNIT = "baiquan-town"
OTHER_UNIT = "ganlan-town"
# The sample city's people (examples/haizhou-2026/people.yaml) the tests sign in as.
UNIT_CONTACT = "guo.jie"  # 白泉镇联络员
OTHER_CONTACT = "he.juan"  # 干览镇联络员
ASSESSOR = "zhang.jianguo"  # 应急管理局考核员 (work safety)
OFFICE = "wang.haiyan"  # 考核办主任
AUDITOR = "chen.jing"  # 纪检审计


@dataclass
class Portal:
    url: str
    stack: Stack

    @property
    def admin(self) -> ServiceClients:
        return self.stack.admin


@pytest_asyncio.fixture
async def portal(services_stack: Stack, request) -> AsyncIterator[Portal]:
    """The portal on the sample city; `@pytest.mark.deadline_days(n)` moves the evidence
    deadline n days from now (default 1: nobody is overdue yet)."""
    marker = request.node.get_closest_marker("deadline_days")
    days = marker.args[0] if marker else 1
    await fold_example(services_stack.admin)
    await open_window(
        services_stack.admin,
        opens=timedelta(days=min(days, 0) - 2),
        deadline=timedelta(days=days),
        closes=timedelta(days=max(days, 0) + 3),
    )
    port = free_port()
    callback = f"http://127.0.0.1:{port}/auth/callback"
    register_callback(callback)
    settings = services_stack.settings.model_copy(
        update={"client_id": "portal", "portal_port": port}
    )
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    try:
        yield Portal(f"http://127.0.0.1:{port}", services_stack)
    finally:
        server.should_exit = True
        await task


@pytest_asyncio.fixture
async def browser():
    from playwright.async_api import async_playwright

    if not HAVE_CHROMIUM:
        pytest.skip(f"no Chromium at {CHROMIUM}")
    async with async_playwright() as pw:
        instance = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        await instance.close()


async def browser_sign_in(page, portal: Portal, subject: str) -> None:
    await page.goto(f"{portal.url}/signin")
    await page.click("#signin")
    await page.fill("input[name=username]", subject)
    await page.fill("input[name=password]", password_of(subject))
    await page.click("button[type=submit]")
    await page.wait_for_url(re.compile(r".*/(unit|review|office|audit)$"))
