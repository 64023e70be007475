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

import httpx
import pytest
import pytest_asyncio
import uvicorn

from localstack.ports import free_port
from oneassess.client.channels import ServiceClients
from services.portal.app import create_app
from tests.conftest import Stack
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
PASSWORD = "haizhou-2026"
UNIT = "baiquan-town"
OTHER_UNIT = "ganlan-town"


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
    app = create_app(services_stack.settings)
    port = free_port()
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


async def sign_in(client: httpx.AsyncClient, subject: str) -> None:
    """Sign in over plain HTTP as a browser would: the form's CSRF token, then the post."""
    form = await client.get("/signin")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    reply = await client.post(
        "/signin", data={"csrf": csrf, "subject": subject, "password": PASSWORD, "next": ""}
    )
    assert reply.status_code == 303, reply.text


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


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
    await page.select_option("#subject", subject)
    await page.fill("#password", PASSWORD)
    await page.click("form[action='/signin'] button[type=submit]")
    await page.wait_for_url(re.compile(r".*/(unit|review|office|audit)$"))
