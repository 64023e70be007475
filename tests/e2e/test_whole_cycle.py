"""End to end: `oneassess up` on a fresh data directory, the demo's whole year of the sample
city through the real services, Temporal and worker (subprocesses on free ports), then
`oneassess down`. The numbers in results.json must agree with what the CLI reports."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from rich.console import Console

from demo.run import DemoOptions, run_demo
from localstack import stack
from oneassess.config import Settings
from tests.conftest import EXAMPLE
from tests.e2e.conftest import stack_environment

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SPAN_SECONDS = 120.0


def _every_service_answers_buf_curl(settings: Settings) -> None:
    """Health and reflection work for standard tools, without a token."""
    buf = str(Path(sys.executable).parent / "buf")
    for name in ("indicators", "submissions", "scoring"):
        base = f"http://127.0.0.1:{settings.port_of(name)}"
        common = [buf, "curl", "--protocol", "grpc", "--http2-prior-knowledge"]
        health = subprocess.run(
            [*common, f"{base}/grpc.health.v1.Health/Check"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert json.loads(health.stdout)["status"] == "SERVING"
        methods = subprocess.run(
            [*common, "--list-methods", base],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.split()
        assert any(m.startswith(f"oneassess.{name}.v1.") for m in methods), methods


def _cli(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


async def test_a_whole_year_of_the_sample_city(tmp_path: Path):
    env = stack_environment(tmp_path / "home")
    settings = Settings(**env)
    out = tmp_path / "demo"
    console = Console(file=open(tmp_path / "demo.log", "w"), width=120)  # noqa: ASYNC230
    await stack.up(settings, progress=console.print)
    try:
        _every_service_answers_buf_curl(settings)
        document = await run_demo(
            settings, DemoOptions(example=EXAMPLE, out=out, span_seconds=SPAN_SECONDS), console
        )
        cycle = document["cycle"]

        saved = json.loads((out / "results.json").read_text())
        assert saved["cycle"] == cycle
        report = (out / "report.html").read_text()
        assert (
            "<svg" not in report and 'data-chart="ranking"' in report
        )  # charts are drawn by the browser

        # The fold: the figures the sample city is known for.
        kinds = saved["burden"]["by_kind"]
        assert (kinds["township"]["asks_before"], kinds["township"]["asks_after"]) == (51, 21)
        assert (kinds["department"]["asks_before"], kinds["department"]["asks_after"]) == (53, 23)

        # Every unit scored, ranks per group, the veto capped, the twins tied.
        board = saved["scoreboard"]
        assert len(board) == 24
        demo = saved["demo"]
        vetoed = next(r for r in board if r["unit"] == demo["veto_unit"])
        assert vetoed["vetoed"] and vetoed["tier"] == saved["veto_tier"]
        ranks_by_group: dict[str, list[int]] = {}
        for row in board:
            ranks_by_group.setdefault(row["group"], []).append(row["rank"])
        assert any(len(r) != len(set(r)) for r in ranks_by_group.values()), "the twins share a rank"

        # Collection: one unit never submitted, late units were late, everyone else complete.
        never = next(u for u, b in demo["behaviours"].items() if b == "never")
        timeline = saved["submissions_timeline"]
        assert timeline["missing"] == next(
            u["asks_after"] for u in saved["burden"]["units"] if u["unit"] == never
        )
        assert timeline["late"] == 2 * 3
        reminders = {r["unit"]: r for r in saved["reminders"]["by_unit"]}
        assert (
            reminders[never]["escalations"] == 3
        )  # head at the 2nd overdue digest, head + office at the 3rd
        early = [u for u, b in demo["behaviours"].items() if b == "early"]
        assert all(u not in reminders for u in early), (
            "nobody reminds a unit that submitted everything"
        )

        # The CLI tells the same numbers.
        burden = json.loads(_cli(env, "cycle", "burden", cycle, "--json"))
        assert burden["by_kind"] == saved["burden"]["by_kind"]
        per_unit = {u["unit"]: u for u in burden["units"]}
        assert (
            per_unit[never]["asks_submitted"] == 0
            and per_unit[never]["reminders"] == reminders[never]["reminders"]
        )
        assert all(per_unit[u]["reminders"] == 0 for u in early)
        scores = json.loads(_cli(env, "scores", cycle, "--json", "--as", "auditor"))
        rows = scores["scores"] if isinstance(scores, dict) else scores
        by_unit = {r["unit_code"]: r for r in rows}
        for row in board:
            assert by_unit[row["unit"]]["rank"] == row["rank"]
            assert by_unit[row["unit"]]["tier"] == row["tier"]

        # The auditor's trail: every workflow exported and verified. The export starts as the
        # cycle closes, so the auditor waits for it to finish (a condition, not a time).
        verify = _cli(env, "audit", "verify", cycle, "--wait", "--as", "auditor")
        assert re.search(r"\b25 of 25 exported histories match", verify), (
            verify
        )  # 24 units + the cycle
    finally:
        pids = [int(p.read_text()) for p in (tmp_path / "home" / "run").glob("*.pid")]
        stack.down(settings, progress=lambda *_: None)
    assert not list((tmp_path / "home" / "run").glob("*.pid"))
    assert not [
        pid
        for pid in pids
        if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    ]
