"""The README's walkthroughs, one per role, pasted into a shell in order against a fresh
`oneassess up` (its own data directory and free ports), with the calendar compressed further."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from localstack.ports import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"<!-- walkthrough: (?P<role>[\w-]+) -->\n```sh\n(?P<body>.*?)```", re.S)
ROLES = ["office", "unit", "line-department", "auditor"]


def walkthroughs() -> dict[str, str]:
    return {
        m["role"]: m["body"]
        for m in BLOCK.finditer((REPO / "README.md").read_text(encoding="utf-8"))
    }


def test_readme_has_one_walkthrough_per_role_in_order():
    assert list(walkthroughs()) == ROLES


def test_the_walkthroughs_work_as_written(tmp_path: Path):
    workdir = tmp_path / "work"
    workdir.mkdir()
    (workdir / "examples").symlink_to(REPO / "examples")
    (workdir / ".venv").symlink_to(REPO / ".venv")
    env = {
        **os.environ,
        "ONEASSESS_HOME": str(tmp_path / "home"),
        "TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
        "TEMPORAL_UI_PORT": str(free_port()),
        "INDICATORS_PORT": str(free_port()),
        "SUBMISSIONS_PORT": str(free_port()),
        "SCORING_PORT": str(free_port()),
        "PORTAL_PORT": str(free_port()),
        "ISSUER_PORT": str(free_port()),
        "COLUMNS": "200",
    }
    env.pop("DATABASE_URL", None)
    for name in ("ONEASSESS_ISSUER_URL", "ONEASSESS_CLIENT_SECRET", "ONEASSESS_TOKEN"):
        env.pop(name, None)
    # One shell, sections in order, as a newcomer pastes them; markers split the output.
    script = "\n".join(
        f"echo '=== walkthrough: {role}'\n{body}" for role, body in walkthroughs().items()
    ).replace("--span-minutes 5", "--span-minutes 2.5")
    try:
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    finally:
        subprocess.run(
            [str(REPO / ".venv/bin/oneassess"), "down"],
            env=env,
            capture_output=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 0, (
        f"a walkthrough failed:\n{result.stdout[-6000:]}\n{result.stderr[-4000:]}"
    )
    parts = re.split(r"^=== walkthrough: ([\w-]+)$", result.stdout, flags=re.M)
    outputs = dict(zip(parts[1::2], parts[2::2], strict=True))
    assert list(outputs) == ROLES

    office = outputs["office"]
    assert re.search(r"township\s*│\s*12\s*│\s*51\s*│\s*21", office), office
    assert "started workflow cycle/haizhou-2026" in office
    unit = outputs["unit"]
    assert "approved" in unit and "annual-work-plan" in unit
    line = outputs["line-department"]
    assert "has reached published" in line and "baiquan-town" in line
    auditor = outputs["auditor"]
    assert re.search(r"(\d+) of \1 exported histories match", auditor), auditor
    assert "submitted annual-work-plan" in auditor or "annual-work-plan" in auditor
    assert (workdir / "report.html").stat().st_size > 1000
    assert (workdir / "work-safety-reviews.xlsx").exists()
