"""The results report renders in headless Chromium with its charts and the tables behind them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from oneassess.client.report import render

RESULTS = {
    "cycle": "demo-2026",
    "cycle_name": "演示",
    "generated_at": "2027-02-02T09:00:00+08:00",
    "tiers": [
        {"name": "优秀", "top_share": 0.3},
        {"name": "良好", "top_share": 0.8},
        {"name": "一般", "top_share": 1.0},
    ],
    "burden": {
        "by_kind": {"township": {"units": 2, "asks_before": 51, "asks_after": 21}},
        "units": [
            {"unit": "a-town", "kind": "township", "asks_before": 51, "asks_after": 21},
            {"unit": "b-town", "kind": "township", "asks_before": 51, "asks_after": 21},
        ],
    },
    "scoreboard": [
        {"unit": "a-town", "group": "town", "composite": "91.25", "rank": 1, "tier": "优秀"},
        {"unit": "b-town", "group": "town", "composite": "80.10", "rank": 2, "tier": "良好"},
        {"unit": "c-street", "group": "street", "composite": "70.00", "rank": 1, "tier": "优秀"},
    ],
    "submissions_timeline": {
        "deadline": "2026-12-31T18:00:00+08:00",
        "total_asks": 42,
        "on_time": 30,
        "late": 5,
        "missing": 7,
        "points": [
            {"at": "2026-11-05T10:00:00+08:00", "count": 3},
            {"at": "2026-12-20T10:00:00+08:00", "count": 30},
            {"at": "2027-01-03T10:00:00+08:00", "count": 35},
        ],
    },
    "reminders": {
        "total": 5,
        "escalations": 2,
        "by_unit": [{"unit": "b-town", "reminders": 5, "escalations": 2}],
    },
}


def test_tables_are_in_the_html_and_user_text_is_escaped():
    page = render({**RESULTS, "cycle_name": "<script>alert(1)</script>"})
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert (
        page.count("<table") == 6
    )  # 2 groups + burden kinds + burden units + submissions + reminders
    assert "http://" not in page.replace(
        "http://www.w3.org/2000/svg", ""
    )  # self-contained: no network


def test_the_report_is_chinese_by_default_and_english_on_request():
    zh = render(RESULTS)
    assert '<html lang="zh-CN">' in zh
    assert "各组排名及等次" in zh and "合并前后的报送事项" in zh and "已发送提醒" in zh
    assert "Reminders sent" not in zh
    en = render(RESULTS, locale="en")
    assert '<html lang="en">' in en and "Reminders sent" in en and "已发送提醒" not in en


def _chromium() -> str | None:
    return (
        shutil.which("chromium")
        or shutil.which("chromium-browser")
        or shutil.which("google-chrome")
    )


def test_charts_render_in_headless_chromium(tmp_path: Path):
    browser = _chromium()
    if browser is None:
        if os.environ.get("ONEASSESS_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required here (apt-get install chromium)")
        pytest.skip("Debian's chromium is not installed (CI installs it: .ci/run)")
    page = tmp_path / "report.html"
    page.write_text(render(RESULTS, locale="en"), encoding="utf-8")
    with tempfile.TemporaryDirectory() as profile:
        out = subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--virtual-time-budget=5000",
                "--dump-dom",
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
    assert re.search(r'data-charts-drawn="5"', out), "every chart host should hold an SVG"
    svgs = re.findall(r'<svg[^>]*class="chart-svg".*?</svg>', out, flags=re.S)
    assert len(svgs) == 5
    ranking_town = next(s for s in svgs if "ranking town" in s)
    assert ranking_town.count('class="bar"') == 2
    assert "#1b7f3b" in ranking_town and "#4f9bd9" in ranking_town  # tier colours
    burden = next(s for s in svgs if "asks before and after folding" in s)
    assert burden.count('class="bar"') == 4
    submissions = next(s for s in svgs if "submissions over time" in s)
    assert 'class="line"' in submissions and 'class="deadline"' in submissions
