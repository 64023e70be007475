"""The portal over plain HTTP against the real services: sign-in, CSRF, role and unit
separation, both languages, the streamed upload, and the catalogues complete."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest

from oneassess.i18n.__main__ import missing
from oneassess.indicators.v1 import indicators_service_pb2 as ipb
from oneassess.scoring.v1 import scoring_service_pb2 as spb
from oneassess.submissions.v1 import submissions_service_pb2 as pb
from tests.portal.conftest import (
    ASSESSOR,
    AUDITOR,
    OFFICE,
    OTHER_CONTACT,
    OTHER_UNIT,
    UNIT,
    UNIT_CONTACT,
    Portal,
    csrf_of,
    sign_in,
)
from tests.support.submissions import pdf, upload

PAGES = {
    UNIT_CONTACT: ["/unit", "/unit/asks/annual-work-plan", "/unit/claims", "/unit/scorecard"],
    ASSESSOR: [
        "/review",
        "/review/decisions",
        "/review/work-safety/ws-01/baiquan-town",
    ],
    OFFICE: ["/office", "/office/weights"],
    AUDITOR: ["/audit", "/audit/verify", f"/audit/units/{UNIT}"],
}
HAN = re.compile(r"[\u4e00-\u9fff]")


def test_every_message_has_a_chinese_translation():
    assert missing("zh_CN") == []


async def test_every_page_of_every_role_renders_in_chinese_and_english(portal: Portal):
    for subject, paths in PAGES.items():
        async with httpx.AsyncClient(base_url=portal.url) as client:
            await sign_in(client, subject)
            for path in paths:
                zh = await client.get(path)
                assert zh.status_code == 200, (subject, path, zh.text[:500])
                assert '<html lang="zh-CN">' in zh.text
                assert "退出登录" in zh.text and "Sign out" not in zh.text
                en = await client.get(path, params={"lang": "en"})
                assert en.status_code == 200, (subject, path)
                assert '<html lang="en">' in en.text and "Sign out" in en.text
                assert "退出登录" not in en.text
                assert client.cookies.get("oneassess_lang") == "en"
                client.cookies.delete("oneassess_lang")


async def test_the_session_cookie_is_httponly_and_lax(portal: Portal):
    async with httpx.AsyncClient(base_url=portal.url) as client:
        done = await sign_in(client, AUDITOR)
        cookie = next(
            v
            for k, v in done.headers.multi_items()
            if k == "set-cookie" and "oneassess_portal" in v
        )
        assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
        assert "secure" not in cookie.lower()  # plain http here; PORTAL_SECURE_COOKIE behind TLS


async def test_a_forged_callback_signs_nobody_in_and_sign_out_needs_csrf(portal: Portal):
    async with httpx.AsyncClient(base_url=portal.url) as client:
        await client.get("/auth/login")  # a real state in the session ...
        forged = await client.get("/auth/callback", params={"code": "made-up", "state": "x"})
        assert forged.status_code == 401  # ... but not this one
        assert (await client.get("/audit")).status_code == 303  # still signed out
    async with httpx.AsyncClient(base_url=portal.url) as client:
        await sign_in(client, AUDITOR)
        page = await client.get("/audit")
        assert page.status_code == 200 and "陈静" in page.text  # the person's name
        assert (await client.post("/signout")).status_code == 403
        out = await client.post("/signout", data={"csrf": csrf_of(page.text)})
        assert out.status_code == 303
        assert (await client.get("/audit")).status_code == 303  # signed out


async def test_every_form_needs_the_sessions_csrf_token(portal: Portal):
    async with httpx.AsyncClient(base_url=portal.url) as client:
        await sign_in(client, UNIT_CONTACT)
        refused = await client.post("/unit/extension", data={"days": "3", "reason": "x"})
        assert refused.status_code == 403
        forged = await client.post(
            "/unit/extension", data={"days": "3", "reason": "x", "csrf": "forged"}
        )
        assert forged.status_code == 403
        cross_site = await client.post(
            "/unit/extension",
            data={"days": "3", "reason": "x", "csrf": csrf_of((await client.get("/unit")).text)},
            headers={"origin": "https://evil.example"},
        )
        assert cross_site.status_code == 403
        upload_without = await client.post(
            "/unit/asks/annual-work-plan/upload",
            content=pdf(4096),
            headers={"x-file-name": "a.pdf"},
        )
        assert upload_without.status_code == 403
        ok = await client.post(
            "/unit/extension",
            data={
                "days": "3",
                "reason": "flood",
                "csrf": csrf_of((await client.get("/unit")).text),
            },
        )
        assert ok.status_code == 303


async def test_a_unit_never_sees_another_units_pages_or_evidence(portal: Portal):
    other = await upload(
        portal.stack.as_("unit", unit=OTHER_UNIT), pdf(4096), unit=OTHER_UNIT, file_name="o.pdf"
    )
    async with httpx.AsyncClient(base_url=portal.url) as client:
        await sign_in(client, UNIT_CONTACT)
        assert (await client.get(f"/evidence/{other.submission.id}")).status_code == 404
        assert (await client.get(f"/audit/units/{OTHER_UNIT}")).status_code == 403
        assert (await client.get("/office")).status_code == 403
        assert (await client.get("/review")).status_code == 403
        page = await client.get("/unit")
        assert "干览镇" not in page.text and "白泉镇" in page.text
    async with httpx.AsyncClient(base_url=portal.url) as client:
        await sign_in(client, OTHER_CONTACT)
        own = await client.get(f"/evidence/{other.submission.id}")
        assert own.status_code == 200 and own.content.startswith(b"%PDF")


async def test_the_auditors_pages_have_no_forms_that_write(portal: Portal):
    async with httpx.AsyncClient(base_url=portal.url) as client:
        await sign_in(client, AUDITOR)
        for path in PAGES[AUDITOR]:
            html = (await client.get(path)).text
            for form in re.findall(r"<form[^>]*>", html):
                assert 'action="/signout"' in form or 'method="get"' in form, (path, form)
        for path in ("/unit/extension", "/office/extensions", "/review/sheet"):
            assert (await client.post(path, data={"csrf": csrf_of(html)})).status_code == 403


@pytest.mark.parametrize("size", [3 * 1024 * 1024])
async def test_an_upload_streams_through_to_the_submissions_service(portal: Portal, size: int):
    data = pdf(size)
    async with httpx.AsyncClient(base_url=portal.url) as client:
        await sign_in(client, UNIT_CONTACT)
        token = csrf_of((await client.get("/unit")).text)
        reply = await client.post(
            "/unit/asks/annual-work-plan/upload",
            content=data,
            headers={"x-csrf-token": token, "x-file-name": "%E8%AE%A1%E5%88%92.pdf"},
        )
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert body["version"] == 1 and len(body["sha256"]) == 64
    status = await portal.admin.submissions.GetAskStatus(
        pb.GetAskStatusRequest(cycle_code="haizhou-2026", unit_code=UNIT)
    )
    ask = next(a for a in status.asks if a.evidence_key == "annual-work-plan")
    assert ask.state == pb.ASK_STATE_SUBMITTED and ask.versions == 1
    got = await portal.admin.submissions.GetSubmission(
        pb.GetSubmissionRequest(submission_id=body["id"])
    )
    assert got.submission.size_bytes == size and got.submission.file_name == "计划.pdf"
    assert HAN.search(got.submission.file_name)


async def test_every_form_control_of_every_page_has_a_label(portal: Portal):
    controls = re.compile(r"<(input|select|textarea)\b([^>]*)>")
    for subject, paths in PAGES.items():
        async with httpx.AsyncClient(base_url=portal.url) as client:
            await sign_in(client, subject)
            for path in paths:
                html = (await client.get(path)).text
                labelled = set(re.findall(r'<label for="([^"]+)"', html))
                for tag, attrs in controls.findall(html):
                    if 'type="hidden"' in attrs:
                        continue
                    found = re.search(r'id="([^"]+)"', attrs)
                    wrapped = re.search(rf"<label>\s*<{tag}\b{re.escape(attrs)}>", html)
                    assert wrapped or (found and found.group(1) in labelled), (path, tag, attrs)


async def test_without_script_the_upload_form_posts_multipart_and_still_streams(portal: Portal):
    data = pdf(2 * 1024 * 1024)
    async with httpx.AsyncClient(base_url=portal.url) as client:
        await sign_in(client, UNIT_CONTACT)
        page = await client.get("/unit/asks/annual-work-plan")
        action = re.search(r'<form id="upload" method="post"[^>]*action="([^"]+)"', page.text)
        reply = await client.post(
            action.group(1).replace("&amp;", "&"),
            files={"file": ("总结.pdf", data, "application/pdf")},
            data={"effective": "2026-12-01"},
        )
        assert reply.status_code == 303
        after = await client.get(reply.headers["location"])
        assert "已收到第 1 版" in after.text and 'data-state="submitted"' in after.text
    listed = await portal.admin.submissions.ListSubmissions(
        pb.ListSubmissionsRequest(
            cycle_code="haizhou-2026", unit_code=UNIT, evidence_key="annual-work-plan"
        )
    )
    (only,) = listed.submissions
    assert only.size_bytes == len(data) and only.file_name == "总结.pdf"
    assert only.effective_date == "2026-12-01"


async def test_what_the_portal_caches_for_a_unit_never_narrows_or_widens_anothers_view(
    portal: Portal,
):
    async with httpx.AsyncClient(base_url=portal.url) as unit:
        await sign_in(unit, UNIT_CONTACT)
        assert (await unit.get("/unit")).status_code == 200  # the unit's catalogue: itself only
    async with httpx.AsyncClient(base_url=portal.url) as office:
        await sign_in(office, OFFICE)
        rows = re.findall(r'<tr data-unit="([^"]+)"', (await office.get("/office")).text)
        assert len(rows) == 24  # every unit of the sample city
    async with httpx.AsyncClient(base_url=portal.url) as unit:
        await sign_in(unit, UNIT_CONTACT)
        page = (await unit.get("/unit")).text
        assert "白泉镇" in page
        assert "干览镇" not in page


async def test_the_burden_chart_plots_the_asks_per_unit_the_table_lists(portal: Portal):
    async with httpx.AsyncClient(base_url=portal.url) as client:
        await sign_in(client, OFFICE)
        page = (await client.get("/office")).text
    rows = re.findall(
        r"<tr><td>[^<]+</td><td>\d+</td><td>(\d+)</td><td>(\d+)</td><td>[\d.]+%</td></tr>", page
    )
    assert rows, "the burden table lists each unit kind"
    labels = set(re.findall(r">(\d+\.\d)</text>", page))
    for before, after in rows:
        assert {f"{int(before):.1f}", f"{int(after):.1f}"} <= labels, (before, after, labels)


async def test_the_auditor_sees_every_audit_chain_intact_and_a_forged_entry_breaks_one(
    portal: Portal,
):
    def verdicts(html: str) -> dict[str, str]:
        rows = re.findall(r'<tr data-service="(\w+)">(.*?)</tr>', html, flags=re.S)
        return {service: re.sub(r"<[^>]+>", " ", row) for service, row in rows}

    async with httpx.AsyncClient(base_url=portal.url) as client:
        await sign_in(client, AUDITOR)
        intact = verdicts((await client.get("/audit/verify")).text)
        assert set(intact) == {"indicators", "submissions", "scoring"}, intact
        assert all("完整" in row for row in intact.values()), intact
        # The folded catalogue left entries in the indicators chain: forge one, as a database
        # superuser could (bypassing the append-only triggers).
        conn = await asyncpg.connect(portal.stack.settings.database_url)
        try:
            await conn.execute("SET session_replication_role = replica")
            await conn.execute(
                "UPDATE indicators.audit_log SET actor = 'someone-else'"
                " WHERE seq = (SELECT min(seq) FROM indicators.audit_log)"
            )
        finally:
            await conn.close()
        after = verdicts((await client.get("/audit/verify")).text)
    assert "断开" in after["indicators"] and "完整" not in after["indicators"], after
    assert "完整" in after["submissions"] and "完整" in after["scoring"], after


async def test_the_office_sees_completion_by_day_from_the_opening_to_today(portal: Portal):
    def days(html: str) -> list[tuple[str, int]]:
        section = html.split('id="completion-by-day"', 1)[1].split("</section>", 1)[0]
        assert "<svg" in section
        rows = re.findall(r"<tr><td>(\d{4}-\d\d-\d\d)</td><td>(\d+)</td>", section)
        return [(day, int(n)) for day, n in rows]

    async with httpx.AsyncClient(base_url=portal.url) as client:
        await sign_in(client, OFFICE)
        before = days((await client.get("/office")).text)
        await upload(portal.stack.as_("unit", unit=UNIT), pdf(4096, seed="by-day"))
        after = days((await client.get("/office")).text)
    # A row per day from the plan's opening day (no workflow runs here) to today.
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    dates = [date.fromisoformat(d) for d, _ in before]
    assert dates[-1] == today and dates == [
        dates[0] + timedelta(days=i) for i in range((today - dates[0]).days + 1)
    ]
    assert [d for d, _ in after] == [d for d, _ in before]
    assert after[-1][1] == before[-1][1] + 1
    assert [n for _, n in after] == sorted(n for _, n in after)


async def _published_with_an_appeal(portal: Portal) -> int:
    """The unit's work-safety ws-02 reviewed at 0.90, scores published, and the unit appealing
    that score; returns the appeal's id."""
    assessor = portal.stack.as_("assessor", department="emergency-bureau").scoring
    await assessor.RecordReview(
        spb.RecordReviewRequest(
            request_id=str(uuid.uuid4()), cycle_code="haizhou-2026", unit_code=UNIT,
            special_assessment_code="work-safety", indicator_code="ws-02",
            input=spb.ReviewInput(value=0.90),
        )
    )  # fmt: skip
    admin = portal.admin.scoring
    await admin.ComputeScores(
        spb.ComputeScoresRequest(request_id=str(uuid.uuid4()), cycle_code="haizhou-2026")
    )
    deadline = spb.PublishScoresRequest().appeal_deadline
    deadline.FromDatetime(datetime.now(ZoneInfo("UTC")) + timedelta(days=7))
    await admin.PublishScores(
        spb.PublishScoresRequest(
            request_id=str(uuid.uuid4()), cycle_code="haizhou-2026", appeal_deadline=deadline
        )
    )
    filed = await portal.stack.as_("unit", unit=UNIT).scoring.FileAppeal(
        spb.FileAppealRequest(
            request_id=str(uuid.uuid4()), cycle_code="haizhou-2026", unit_code=UNIT,
            indicator=ipb.IndicatorRef(
                special_assessment_code="work-safety", indicator_code="ws-02"
            ),
            reason="台账显示完成率98%",
        )
    )  # fmt: skip
    return filed.appeal.appeal_id


async def test_the_assessor_adjusts_a_score_on_appeal_in_the_browser(portal: Portal):
    appeal_id = await _published_with_an_appeal(portal)

    async def state() -> tuple[spb.Appeal, list[tuple[float, int]]]:
        appeals = await portal.admin.scoring.ListAppeals(
            spb.ListAppealsRequest(cycle_code="haizhou-2026", unit_code=UNIT)
        )
        reviews = await portal.admin.scoring.ListReviews(
            spb.ListReviewsRequest(
                cycle_code="haizhou-2026", unit_code=UNIT,
                special_assessment_code="work-safety", indicator_code="ws-02",
            )
        )  # fmt: skip
        (appeal,) = [a for a in appeals.appeals if a.appeal_id == appeal_id]
        return appeal, [(r.input.value, r.revision) for r in reviews.reviews]

    form_url = f"/review/work-safety/ws-02/{UNIT}?appeal={appeal_id}"
    async with httpx.AsyncClient(base_url=portal.url) as client:
        await sign_in(client, ASSESSOR)
        decisions = (await client.get("/review/decisions")).text
        assert f'href="{form_url}"' in decisions.replace("&amp;", "&")
        form = await client.get(form_url)
        assert "申诉改分" in form.text and "台账显示完成率98%" in form.text
        csrf = csrf_of(form.text)

        # Not a (finite) number: refused with a notice, nothing decided.
        for value in ("九成八", "inf", "1e999", "nan"):
            refused = await client.post(
                form_url, data={"csrf": csrf, "value": value, "reason": "x"}
            )
            assert refused.status_code == 303 and refused.headers["location"].endswith(form_url)
            assert "请以数字填写评审结果" in (await client.get(form_url)).text, value
        # A blank reason: the scoring service refuses it, the form says why.
        blank = await client.post(form_url, data={"csrf": csrf, "value": "0.97", "reason": " "})
        assert blank.status_code == 303 and blank.headers["location"].endswith(form_url)
        assert "调整未被接受" in (await client.get(form_url)).text
        appeal, values = await state()
        assert appeal.state == spb.APPEAL_STATE_PENDING and values == [(0.90, 1)]

        adjusted = await client.post(
            form_url, data={"csrf": csrf, "value": "0.98", "reason": "复核台账属实"}
        )
        assert adjusted.status_code == 303
        assert adjusted.headers["location"].endswith("/review/decisions")
        assert "申诉已处理" in (await client.get("/review/decisions")).text
        appeal, values = await state()
        assert appeal.state == spb.APPEAL_STATE_ADJUSTED
        assert appeal.decision_reason == "复核台账属实" and appeal.decided_by
        assert appeal.run > 0  # the adjustment's new run (its scores: test_scoring_appeals)
        assert values == [(0.98, 2)]  # the adjustment is the review's next revision

        # A forged appeal id (a superscript digit passes str.isdigit): refused, not a 500.
        forged = await client.get(f"/review/work-safety/ws-02/{UNIT}?appeal=²")
        assert forged.status_code == 303 and forged.headers["location"].endswith("/decisions")

        # The same form again, once decided: refused, no third revision.
        again = await client.post(form_url, data={"csrf": csrf, "value": "0.5", "reason": "y"})
        assert again.status_code == 303 and again.headers["location"].endswith("/review/decisions")
        assert "没有这条待处理的申诉" in (await client.get("/review/decisions")).text
        assert (await state())[1] == [(0.98, 2)]
