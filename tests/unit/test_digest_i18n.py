"""Reminder digests read in the shared catalogues' language: Chinese first, English on request."""

from __future__ import annotations

from workflows.notify import digest_body


def test_a_digest_is_in_chinese_by_default():
    subject, body = digest_body(
        "baiquan-town", "cycle/overdue-1", "2026年12月31日 18:00", ["annual-work-plan", "x"]
    )
    assert subject == "【逾期】仍有 2 项佐证材料未报送（baiquan-town）"
    assert body.splitlines() == [
        "单位 baiquan-town：报送截止时间 2026年12月31日 18:00。",
        "尚缺材料（2 项）：",
        "  - annual-work-plan",
        "  - x",
    ]


def test_a_digest_in_english_when_asked():
    subject, body = digest_body("baiquan-town", "cycle/before-3d", "2026-12-31", ["k"], "en")
    assert subject == "Reminder: 1 evidence item(s) still missing (baiquan-town)"
    assert "Still missing (1):" in body
