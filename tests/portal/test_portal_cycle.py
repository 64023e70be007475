"""The portal on `oneassess up` with the sample city's cycle running (issuer, Temporal, the
three services, the worker and the portal as processes): a unit asks for more time in its
page, the office sees the request on the dashboard (from the cycle-control RPC) and approves
it, and the auditor reads the unit's workflow timeline; then the office closes collection and
review early, acknowledging the missing reviews, and the cycle publishes."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE
from tests.e2e.conftest import oneassess, running_stack  # noqa: F401 - the fixture
from tests.portal.conftest import AUDITOR, OFFICE, UNIT, UNIT_CONTACT
from tests.support.portal import password_of

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.slow]
CYCLE = "haizhou-2026"


def admin(env: dict[str, str], *args: str) -> str:
    ran = oneassess(env, *args, "--as", "admin", timeout=300)
    assert ran.code == 0, f"{args}: {ran.stdout}\n{ran.stderr}"
    return ran.stdout


def start_the_sample_cycle(env: dict[str, str]) -> None:
    admin(env, "catalog", "import", str(EXAMPLE / "special-assessments"))
    admin(env, "units", "import", str(EXAMPLE / "units.yaml"))
    admin(env, "cycle", "create", str(EXAMPLE / "cycle.yaml"))
    admin(env, "cycle", "fold", CYCLE)
    now = datetime.now(UTC)
    # collecting for hours; reviews and publication weeks later, so an extension fits
    at = [(now + timedelta(seconds=5)).isoformat()] + [
        (now + timedelta(hours=h)).isoformat() for h in (2, 3, 20 * 24, 21 * 24, 28 * 24)
    ]
    admin(
        env, "cycle", "start", CYCLE,
        "--opens", at[0], "--evidence-due", at[1], "--collection-closes", at[2],
        "--review-due", at[3], "--publish", at[4], "--appeal-deadline", at[5],
    )  # fmt: skip
    admin(env, "cycle", "wait", CYCLE, "--phase", "collecting", "--timeout-minutes", "3")


async def sign_in(page, portal: str, subject: str) -> None:
    await page.goto(f"{portal}/signin")
    await page.click("#signin")
    await page.fill("input[name=username]", subject)
    await page.fill("input[name=password]", password_of(subject))
    await page.click("button[type=submit]")
    await page.wait_for_url(re.compile(r".*/(unit|review|office|audit)$"))


async def test_the_office_approves_a_units_request_on_the_running_cycle(
    running_stack,  # noqa: F811
    browser,
    tmp_path: Path,
):
    await asyncio.to_thread(start_the_sample_cycle, running_stack)
    portal = f"http://127.0.0.1:{running_stack['PORTAL_PORT']}"

    unit = await (await browser.new_context(locale="zh-CN")).new_page()
    await sign_in(unit, portal, UNIT_CONTACT)
    await unit.fill("#days", "5")
    await unit.fill("#reason", "台风过境，材料整理延后")
    await unit.click("text=提交申请")
    await unit.wait_for_url(re.compile(r".*/unit$"))
    assert "延期申请已提交考核办" in await unit.locator(".flash").inner_text()

    office = await (await browser.new_context(locale="zh-CN")).new_page()
    await sign_in(office, portal, OFFICE)
    assert await office.locator("#phase").inner_text() == "材料报送中"
    assert await office.locator("#extensions-approved").inner_text() == "0"
    request = office.locator(f"#pending-extensions li[data-unit={UNIT}]")
    deadline = time.monotonic() + 120
    while await request.count() == 0:  # the request travels: submissions -> outbox -> workflow
        assert time.monotonic() < deadline, "the request never reached the dashboard"
        await office.reload()
    assert "台风过境" in await request.inner_text()
    await request.locator("button[value=approve]").click()
    await office.wait_for_url(re.compile(r".*/office$"))
    assert "已同意 白泉镇 的延期申请" in await office.locator(".flash").inner_text()
    assert await office.locator("#extensions-approved").inner_text() == "1"
    assert await office.locator(f"#pending-extensions li[data-unit={UNIT}]").count() == 0
    await office.screenshot(path=str(tmp_path / "office-cycle.png"), full_page=True)

    auditor = await (await browser.new_context(locale="zh-CN")).new_page()
    await sign_in(auditor, portal, AUDITOR)
    await auditor.goto(f"{portal}/audit/units/{UNIT}")
    entries = auditor.locator("#workflow-timeline li")
    assert await entries.count() > 0
    await auditor.screenshot(path=str(tmp_path / "auditor-timeline.png"), full_page=True)

    # The office closes collection early, then closes review although every review is still
    # missing (ticking that it does so), and the cycle goes on to scoring and publication.
    await office.goto(f"{portal}/office")
    await office.locator("form[action='/office/close-collection'] button").click()
    await office.wait_for_url(re.compile(r".*/office$"))
    assert "报送已关闭" in await office.locator(".flash").inner_text()
    await _until_phase(office, {"评审中"})
    assert await office.locator("#missing-reviews li").count() > 0
    await office.locator("#confirm-missing").check()
    await office.locator("#close-reviewing button").click()
    await office.wait_for_url(re.compile(r".*/office$"))
    assert "评审已结束" in await office.locator(".flash").inner_text()
    await _until_phase(office, {"已公布，申诉期内"})
    await office.screenshot(path=str(tmp_path / "office-published.png"), full_page=True)


async def _until_phase(page, phases: set[str], within: float = 120) -> None:
    """Reload the dashboard until the cycle's phase is one of `phases` (the workflow moves
    on its own time after a control RPC)."""
    deadline = time.monotonic() + within
    while (phase := await page.locator("#phase").inner_text()) not in phases:
        assert time.monotonic() < deadline, f"the phase stayed {phase!r}, not one of {phases}"
        await asyncio.sleep(0.5)
        await page.reload()
