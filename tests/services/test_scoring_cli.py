"""The scoring CLI against the running services: a review sheet round trip, a run, the
ranking, a scorecard, a what-if, a claim and an appeal, as each role would type them."""

from __future__ import annotations

import asyncio
import csv
import io
import json

from typer.testing import CliRunner

from cli.main import app
from services.common.auth import Role
from tests.conftest import token_for
from tests.services.test_scoring_support import (
    CYCLE,
    city_fixture,  # noqa: F401 - the `city` fixture
)


async def cli(
    city, monkeypatch, role: Role, *args: str, unit: str = "", department: str = "", ok: bool = True
):
    """Run `oneassess ARGS` as `role` in a thread (the CLI runs its own event loop)."""
    for name in ("indicators", "scoring"):
        monkeypatch.setenv(f"{name.upper()}_ADDRESS", city.stack.address(name))
    monkeypatch.setenv("ONEASSESS_TOKEN", token_for(role, unit=unit, department=department))
    result = await asyncio.to_thread(CliRunner().invoke, app, list(args))
    assert (result.exit_code == 0) == ok, result.output
    return result.output


async def test_the_scoring_cli_end_to_end(city, monkeypatch, tmp_path):
    safety = {"department": "emergency-bureau"}
    sheet = tmp_path / "ws.csv"
    out = await cli(
        city,
        monkeypatch,
        Role.ASSESSOR,
        "reviews",
        "template",
        CYCLE,
        "-s",
        "work-safety",
        "-o",
        str(sheet),
        **safety,
    )
    assert "rows to review" in out
    rows = list(csv.DictReader(io.StringIO(sheet.read_text(encoding="utf-8-sig"))))
    for row in rows:
        if row["unit_code"] == "dinghai-street" and row["indicator_code"] == "ws-02":
            row["value"] = "0.98"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    sheet.write_text(buffer.getvalue(), encoding="utf-8")
    out = await cli(
        city, monkeypatch, Role.ASSESSOR, "reviews", "import", CYCLE, str(sheet), **safety
    )
    assert "1 recorded, 0 unchanged" in out

    out = await cli(city, monkeypatch, Role.ADMIN, "cycle", "compute-scores", CYCLE)
    assert "run 1 of haizhou-2026 (compute, computed): 24 units" in out
    ranking = json.loads(
        await cli(
            city, monkeypatch, Role.AUDITOR, "scores", CYCLE, "--group", "urban-street", "--json"
        )
    )
    assert (
        ranking["scores"][0]["unit_code"] == "dinghai-street" and ranking["scores"][0]["rank"] == 1
    )
    card = json.loads(
        await cli(
            city, monkeypatch, Role.ADMIN, "explain", CYCLE, "--unit", "dinghai-street", "--json"
        )
    )
    ws02 = next(i for i in card["scorecard"]["indicators"] if i["indicator_code"] == "ws-02")
    assert (
        ws02["score"] == "4.0000" and ws02["steps"][0]["formula"] == "min(0.98 / 0.98, 1) x 4 = 4"
    )
    out = await cli(city, monkeypatch, Role.ADMIN, "explain", CYCLE, "--unit", "dinghai-street")
    assert "work-safety: 15 x" in out and "rank 1 of 4 in urban-street" in out

    weights = tmp_path / "weights.yaml"
    weights.write_text("work-safety: 30\nparty-building: 0\n", encoding="utf-8")
    preview = json.loads(
        await cli(city, monkeypatch, Role.ADMIN, "preview-weights", CYCLE, str(weights), "--json")
    )
    assert preview["weights"]["work-safety"] == "30"
    weights.write_text("work-safety: 31\n", encoding="utf-8")
    out = await cli(city, monkeypatch, Role.ADMIN, "preview-weights", CYCLE, str(weights), ok=False)
    assert "weights: must sum to 100" in out

    baiquan = {"unit": "baiquan-town"}
    out = await cli(
        city,
        monkeypatch,
        Role.UNIT,
        "claims",
        "file",
        CYCLE,
        "--unit",
        "baiquan-town",
        "--category",
        "N01",
        "--indicator",
        "work-safety/ws-02",
        "--description",
        "x",
        ok=False,
        **baiquan,
    )
    assert "INVALID_ARGUMENT: category: N01 (谋取私利) is never tolerated" in out
    out = await cli(
        city,
        monkeypatch,
        Role.UNIT,
        "claims",
        "file",
        CYCLE,
        "--unit",
        "baiquan-town",
        "--category",
        "T02",
        "--indicator",
        "work-safety/ws-02",
        "--description",
        "typhoon",
        **baiquan,
    )
    assert "claim 1 by baiquan-town: T02" in out and "work-safety/ws-02: pending" in out
    out = await cli(
        city,
        monkeypatch,
        Role.ASSESSOR,
        "claims",
        "decide",
        CYCLE,
        "1",
        "--approve",
        "--reason",
        "verified",
        **safety,
    )
    assert "work-safety/ws-02: approved by assessor:emergency-bureau: verified" in out
    listed = json.loads(
        await cli(city, monkeypatch, Role.UNIT, "claims", "list", CYCLE, "--json", **baiquan)
    )
    assert [c["claim_id"] for c in listed] == ["1"]

    await cli(city, monkeypatch, Role.ADMIN, "cycle", "compute-scores", CYCLE)
    out = await cli(
        city, monkeypatch, Role.ADMIN, "cycle", "publish-scores", CYCLE, "--appeal-days", "7"
    )
    assert "published" in out and "appeals until" in out
    linhai = {"unit": "linhai-street"}
    out = await cli(
        city,
        monkeypatch,
        Role.UNIT,
        "appeals",
        "file",
        CYCLE,
        "--unit",
        "linhai-street",
        "--indicator",
        "work-safety/ws-02",
        "--reason",
        "the ledger shows 98%",
        **linhai,
    )
    assert "appeal 1 by linhai-street on work-safety/ws-02: pending, score 0.0000" in out
    out = await cli(
        city,
        monkeypatch,
        Role.ASSESSOR,
        "appeals",
        "decide",
        CYCLE,
        "1",
        "--adjust",
        "--value",
        "0.98",
        "--reason",
        "rechecked",
        **safety,
    )
    assert "adjusted, score 0.0000 -> 4.0000 (run 3)" in out
    out = await cli(city, monkeypatch, Role.AUDITOR, "cycle", "verify-scores", CYCLE)
    assert "matches: recomputed exactly" in out
    out = await cli(city, monkeypatch, Role.UNIT, "scores", CYCLE, **linhai)
    assert "linhai-street" in out and "dinghai-street" not in out
