"""The catalogue CLI against the indicators service on a free port, configured only through the
environment (INDICATORS_ADDRESS, ONEASSESS_ISSUER_URL, ONEASSESS_HOME), as a city would run it."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from cli import common
from cli.main import app
from localstack.ports import free_port
from tests.conftest import EXAMPLE, REPO, issuer_environment
from tests.support.indicators import counts

COMMANDS = [
    ["catalog", "import"],
    ["catalog", "list"],
    ["catalog", "template"],
    ["units", "import"],
    ["units", "list"],
    ["cycle", "create"],
    ["cycle", "fold"],
    ["cycle", "show"],
    ["cycle", "burden"],
    ["asks"],
]


@pytest.fixture(scope="module")
def stack(indicators_module_stack):
    return indicators_module_stack


@pytest.fixture(scope="module")
def env(stack, tmp_path_factory) -> dict[str, str]:
    return {
        "INDICATORS_ADDRESS": stack.address("indicators"),
        # Only the indicators service runs here: nobody's stack on the default ports answers.
        "SUBMISSIONS_ADDRESS": f"127.0.0.1:{free_port()}",
        "SCORING_ADDRESS": f"127.0.0.1:{free_port()}",
        **issuer_environment(),
        "ONEASSESS_HOME": str(tmp_path_factory.mktemp("cli-home")),
        "ONEASSESS_TOKEN": "",
        "COLUMNS": "200",
    }


async def oneassess(env: dict[str, str], *args: str, role: str = "admin"):
    """Run one CLI command in a worker thread (it runs its own event loop) as `role`."""

    def invoke():
        common.acting.value = role
        try:
            return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
        finally:
            common.acting.value = "admin"

    return await asyncio.to_thread(invoke)


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_every_command_has_help_with_an_example(command):
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert f"Example: oneassess {' '.join(command)}" in result.output


async def test_whole_city_through_the_cli(stack, env, tmp_path):
    result = await oneassess(env, "units", "import", str(EXAMPLE / "units.yaml"))
    assert result.exit_code == 0, result.output
    assert "units: 24 created, 0 updated, 0 unchanged" in result.output

    # The city folder: its plan, units and tolerance files are skipped, the 8 special
    # assessments imported.
    result = await oneassess(env, "catalog", "import", str(EXAMPLE), "--json")
    assert result.exit_code == 0, result.output
    imported = json.loads(result.stdout)
    assert sorted(r["code"] for r in imported) == sorted(
        p.stem for p in (EXAMPLE / "special-assessments").glob("*.yaml")
    )
    assert all(r["created"] and r["version"] == 1 for r in imported)
    assert "skipped" in result.stderr and "cycle.yaml: a cycle plan" in result.stderr

    result = await oneassess(env, "catalog", "list", "--json")
    assert [s["code"] for s in json.loads(result.stdout)] == sorted(r["code"] for r in imported)

    result = await oneassess(env, "cycle", "create", str(EXAMPLE / "cycle.yaml"))
    assert result.exit_code == 0, result.output
    assert "created cycle haizhou-2026" in result.output
    result = await oneassess(env, "cycle", "fold", "haizhou-2026", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["state"] == "CYCLE_STATE_FOLDED"

    result = await oneassess(env, "cycle", "burden", "haizhou-2026", "--json", role="auditor")
    assert result.exit_code == 0, result.output
    burden = json.loads(result.stdout)
    assert burden["cycle"] == "haizhou-2026"
    assert {
        k: (v["units"], v["asks_before"], v["asks_after"]) for k, v in burden["by_kind"].items()
    } == {
        "township": (12, 51, 21),
        "department": (12, 53, 23),
    }
    assert len(burden["units"]) == 24
    assert {
        "unit": "baiquan-town",
        "kind": "township",
        "group": "town",
        "asks_before": 51,
        "asks_after": 21,
    }.items() <= next(u for u in burden["units"] if u["unit"] == "baiquan-town").items()

    result = await oneassess(env, "cycle", "burden", "haizhou-2026")
    assert result.exit_code == 0 and "township" in result.stdout and "58.8%" in result.stdout

    result = await oneassess(env, "asks", "haizhou-2026", "--json", role="unit:baiquan-town")
    assert result.exit_code == 0, result.output
    asks = json.loads(result.stdout)
    assert (asks["unit"], asks["total"], len(asks["asks"])) == ("baiquan-town", 21, 21)
    assert all(a["serves"] for a in asks["asks"])

    result = await oneassess(
        env, "asks", "haizhou-2026", "--unit", "finance", role="unit:baiquan-town"
    )
    assert result.exit_code == 1
    assert (
        "PERMISSION_DENIED: unit_code: unit 'baiquan-town' may not act for unit 'finance'"
        in result.stderr
    )

    result = await oneassess(env, "cycle", "fold", "haizhou-2026")
    assert result.exit_code == 1
    assert (
        "FAILED_PRECONDITION: cycle_code: cycle 'haizhou-2026' is already folded" in result.stderr
    )


async def test_rejected_file_prints_every_problem_and_exits_non_zero(stack, env, tmp_path):
    bad = tmp_path / "work-safety.yaml"
    bad.write_text(
        (EXAMPLE / "special-assessments" / "work-safety.yaml")
        .read_text()
        .replace("method: ratio", "method: percent", 1)
    )
    good = tmp_path / "petitions-pilot.yaml"
    good.write_text(
        (EXAMPLE / "special-assessments" / "petitions.yaml")
        .read_text()
        .replace("code: petitions", "code: petitions-pilot", 1)
    )
    before = await counts(stack.pool("indicators"))
    result = await oneassess(env, "catalog", "import", str(bad), str(good))
    assert result.exit_code == 1
    assert f"rejected {bad}" in result.stderr
    assert (
        "work-safety.yaml:25: indicator ws-02.method: unknown scoring method 'percent'"
        in result.stderr
    )
    assert (
        "imported  petitions-pilot v1" in result.stdout
    )  # the good file of the same command still imports
    after = await counts(stack.pool("indicators"))
    assert after["special_assessments"] == before["special_assessments"] + 1


async def test_template_writes_a_workbook_that_imports(stack, env, tmp_path):
    out = tmp_path / "mine.xlsx"
    result = await oneassess(env, "catalog", "template", str(out))
    assert result.exit_code == 0, result.output
    assert (
        await oneassess(env, "catalog", "template", str(out))
    ).exit_code == 1  # never overwrites silently
    result = await oneassess(env, "catalog", "import", str(out), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["code"] == "work-safety"

    converted = tmp_path / "ecology.xlsx"
    result = await oneassess(
        env,
        "catalog",
        "template",
        str(converted),
        "--from",
        str(EXAMPLE / "special-assessments" / "ecology.yaml"),
    )
    assert result.exit_code == 0, result.output
    from services.indicators.formats import read_special_assessment

    yaml_path = EXAMPLE / "special-assessments" / "ecology.yaml"
    result = await oneassess(env, "catalog", "import", str(converted), "--json")
    assert (
        json.loads(result.stdout)[0]["sha256"]
        == read_special_assessment(yaml_path.name, yaml_path.read_bytes()).sha256
    )

    units = tmp_path / "units.xlsx"
    assert (await oneassess(env, "catalog", "template", str(units), "--units")).exit_code == 0
    result = await oneassess(env, "units", "import", str(units))
    assert result.exit_code == 0 and "units:" in result.output


async def test_unit_list_named_to_catalog_import_is_refused_with_a_hint(env):
    result = await oneassess(env, "catalog", "import", str(EXAMPLE / "units.yaml"))
    assert result.exit_code == 1
    assert "a unit list: use `oneassess units import`" in result.stderr


async def test_installed_command_reads_the_environment_and_the_acting_role(env):
    """The real entry point in its own process: `--as` anywhere on the line, addresses from env."""
    assert (await oneassess(env, "units", "import", str(EXAMPLE / "units.yaml"))).exit_code == 0
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cli.main",
        "units",
        "list",
        "--as",
        "unit:baiquan-town",
        "--json",
        env={**os.environ, **env},
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    stdout, stderr = await proc.communicate()
    assert proc.returncode == 0, stderr.decode()
    assert [u["code"] for u in json.loads(stdout)] == ["baiquan-town"]  # a unit sees only itself


async def test_folder_import_keeps_special_assessments_and_skips_other_files(env, tmp_path):
    import openpyxl

    city = tmp_path / "city"
    (city / "special-assessments").mkdir(parents=True)
    for name in ("ecology.yaml", "rule-of-law.yaml"):
        (city / "special-assessments" / name).write_bytes(
            (EXAMPLE / "special-assessments" / name).read_bytes()
        )
    (city / "reviews.yaml").write_text(
        "reviews:\n  - {unit: baiquan-town, indicator: ws-01, met: 3}\n"
    )
    workbook = openpyxl.Workbook()
    workbook.active.append(["培训人员", "日期"])
    workbook.save(city / "training-records.xlsx")
    (city / ".hidden.yaml").write_text("code: x\n")
    result = await oneassess(env, "catalog", "import", str(city), "--json")
    assert result.exit_code == 0, result.output
    assert sorted(r["code"] for r in json.loads(result.stdout)) == ["ecology", "rule-of-law"]
    assert "skipped" in result.stderr and "reviews.yaml: not a special assessment" in result.stderr
    assert "training-records.xlsx: not a special assessment" in result.stderr
    assert ".hidden.yaml" not in result.stderr
