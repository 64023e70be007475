"""Each role signs in with Chromium and does its main work end to end against the real
services; each test leaves a screenshot of its last page in its tmp_path."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from oneassess.scoring.v1 import scoring_service_pb2 as spb
from oneassess.submissions.v1 import submissions_service_pb2 as pb
from tests.conftest import EXAMPLE
from tests.portal.conftest import (
    ASSESSOR,
    AUDITOR,
    OFFICE,
    UNIT,
    UNIT_CONTACT,
    Portal,
    browser_sign_in,
)
from tests.support.submissions import ooxml, pdf, upload

pytestmark = pytest.mark.browser
CYCLE = "haizhou-2026"
TWENTY_MB = 20 * 1024 * 1024


async def shot(page, tmp_path: Path, name: str) -> Path:
    """The whole last page under the test's tmp_path; with PORTAL_SCREENSHOTS_DIR set, also the
    first screenful there (how docs/portal/*.png are made)."""
    path = tmp_path / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    docs = os.environ.get("PORTAL_SCREENSHOTS_DIR")
    if docs:
        await page.screenshot(path=str(Path(docs) / f"{name}.png"))
    return path


async def test_a_unit_uploads_20_mb_once_and_sees_every_indicator_served(
    portal: Portal, browser, tmp_path: Path
):
    document = tmp_path / "年度工作计划.pdf"
    document.write_bytes(pdf(TWENTY_MB))
    page = await browser.new_page(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    await browser_sign_in(page, portal, UNIT_CONTACT)
    await page.keyboard.press("Tab")  # the keyboard's first stop skips to the content
    assert await page.locator("a.skip:focus").count() == 1
    row = page.locator("#ask-annual-work-plan")
    await row.locator("[data-state=missing]").wait_for()
    await row.locator("a").first.click()
    await page.wait_for_url(re.compile(r".*/unit/asks/annual-work-plan$"))
    served = await page.locator("#serves tbody tr").count()
    assert served >= 2  # one document, several special assessments' indicators
    await page.set_input_files("#file", str(document))
    await page.click("#upload button[type=submit]")
    await page.locator("#progress[data-percent='100']").wait_for(timeout=60_000)
    await page.locator("#ask-state[data-state=submitted]").wait_for(timeout=60_000)
    assert await page.locator("#serves .badge.submitted").count() == served
    assert await page.locator("#serves .badge.missing").count() == 0
    versions = page.locator("#versions tbody tr")
    assert await versions.count() == 1
    assert "20.0 MB" in (await versions.first.inner_text())
    await page.click("text=我的报送事项")
    await row.locator("[data-state=submitted]").wait_for()
    status = await portal.admin.submissions.GetAskStatus(
        pb.GetAskStatusRequest(cycle_code=CYCLE, unit_code=UNIT)
    )
    ask = next(a for a in status.asks if a.evidence_key == "annual-work-plan")
    assert ask.state == pb.ASK_STATE_SUBMITTED
    await page.set_viewport_size({"width": 390, "height": 844})  # a phone
    await shot(page, tmp_path, "unit-phone")
    await page.set_viewport_size({"width": 1280, "height": 900})
    await shot(page, tmp_path, "unit")


async def test_an_assessor_reviews_and_uploads_a_gb18030_review_sheet(
    portal: Portal, browser, tmp_path: Path
):
    await upload(portal.stack.as_("unit", unit=UNIT), pdf(8192), key="responsibility-list")
    page = await browser.new_page(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    await browser_sign_in(page, portal, ASSESSOR)
    await page.click(f"a[href='/review/work-safety/ws-02/{UNIT}']")
    await page.fill("#value", "0.9")
    await page.fill("#comment", "整改台账齐全")
    await page.click("form[method=post] button[type=submit] >> text=保存评审")
    await page.wait_for_url(re.compile(r".*/review$"))
    assert "已保存" in await page.locator(".flash").inner_text()
    # the sheet downloads as xlsx
    async with page.expect_download() as download:
        await page.click("a[href='/review/sheet/work-safety.xlsx']")
    saved = tmp_path / "sheet.xlsx"
    await (await download.value).save_as(saved)
    assert saved.read_bytes()[:2] == b"PK"
    # and a filled sheet, saved by Excel on a Chinese Windows machine (GB18030 CSV), uploads
    sheet = tmp_path / "安全生产评审.csv"
    text = (EXAMPLE / "reviews" / "work-safety.csv").read_text(encoding="utf-8")
    sheet.write_bytes(text.encode("gb18030"))
    await page.set_input_files("#sheet", str(sheet))
    await page.click("text=上传评审表")
    await page.wait_for_url(re.compile(r".*/review$"))
    notice = await page.locator(".flash").inner_text()
    assert "评审表已读取" in notice, notice
    recorded = int(re.search(r"新记录 (\d+) 条", notice).group(1))
    assert recorded > 0
    reviews = await portal.admin.scoring.ListReviews(
        spb.ListReviewsRequest(cycle_code=CYCLE, special_assessment_code="work-safety")
    )
    assert any(r.comment == "整改台账齐全" for r in reviews.reviews) or recorded
    await shot(page, tmp_path, "assessor")


@pytest.mark.deadline_days(-1)
async def test_the_office_approves_an_extension_and_sees_the_dashboard_change(
    portal: Portal, browser, tmp_path: Path
):
    page = await browser.new_page(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    await browser_sign_in(page, portal, OFFICE)
    overdue_before = int(await page.locator("#overdue-count").inner_text())
    assert overdue_before > 0  # the deadline passed yesterday
    row = page.locator(f"tr[data-unit={UNIT}]")
    await row.locator("[data-overdue]").wait_for()
    assert await page.locator("#extended-count").inner_text() == "0"
    await page.select_option("#ext-unit", UNIT)
    await page.fill("#ext-days", "10")
    await page.fill("#ext-reason", "汛期抢险，材料整理延后")
    await page.click("text=批准延期")
    await page.wait_for_url(re.compile(r".*/office$"))
    assert "白泉镇" in await page.locator(".flash").inner_text()
    assert await page.locator("#extended-count").inner_text() == "1"
    assert int(await page.locator("#overdue-count").inner_text()) == overdue_before - 1
    await row.locator("[data-extended]").wait_for()
    assert await row.locator("[data-overdue]").count() == 0
    assert await page.locator("svg.chart").count() >= 2  # burden and completion charts
    await shot(page, tmp_path, "office")


async def test_an_auditor_opens_a_units_explanation_and_timeline(
    portal: Portal, browser, tmp_path: Path
):
    unit = portal.stack.as_("unit", unit=UNIT)
    sent = await upload(unit, pdf(8192), key="annual-work-plan")
    await upload(
        unit,
        ooxml("xlsx"),
        key="hidden-danger-rectification-ledger",
        fmt="xlsx",
        file_name="台账.xlsx",
    )
    assessor = portal.stack.as_("assessor", department="emergency-bureau")
    await assessor.scoring.ImportReviews(
        spb.ImportReviewsRequest(
            request_id="audit-test",
            cycle_code=CYCLE,
            file=spb.ReviewFile(
                name="work-safety.csv",
                content=(EXAMPLE / "reviews" / "work-safety.csv").read_bytes(),
            ),
        )
    )
    await portal.admin.scoring.ComputeScores(
        spb.ComputeScoresRequest(request_id="audit-test", cycle_code=CYCLE)
    )
    page = await browser.new_page(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    await browser_sign_in(page, portal, AUDITOR)
    assert await page.locator("svg.chart").count() >= 1
    await page.click(f"a[href='/audit/units/{UNIT}']")
    await page.wait_for_url(re.compile(rf".*/audit/units/{UNIT}$"))
    assert "白泉镇" in await page.locator("h1").inner_text()
    steps = page.locator("#indicator-scores tbody tr")
    assert await steps.count() > 0
    explained = await page.locator("#indicator-scores").inner_text()
    assert "安全生产责任体系" in explained  # names, not only codes
    assert sent.submission.sha256 in await page.locator("#evidence").inner_text()
    timeline = await page.locator("#timeline").inner_text()
    assert "报送材料" in timeline and "评审" in timeline
    assert await page.locator("form[method=post]:not([action='/signout'])").count() == 0
    printed = tmp_path / "auditor.pdf"
    await page.emulate_media(media="print")
    await page.pdf(path=str(printed), format="A4", print_background=True)
    pdf_bytes = printed.read_bytes()  # A4: 595 x 842 points
    assert pdf_bytes.startswith(b"%PDF")
    assert re.search(rb"/MediaBox \[0 0 59[45][.\d]* 84[12][.\d]*\]", pdf_bytes)
    await page.emulate_media(media="screen")
    await shot(page, tmp_path, "auditor")
