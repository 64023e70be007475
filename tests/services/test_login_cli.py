"""`oneassess login / whoami / logout / token` as their own processes against the session's
issuer and the indicators service: a person signs in with a password (or, on the local stack,
`--as` signs in as the sample person of a role), the token is kept 0600 in ONEASSESS_HOME, and
later commands act as that person."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys

import jwt
import pytest
import yaml

from localstack.ports import free_port
from tests.conftest import EXAMPLE, issuer_environment

PEOPLE = yaml.safe_load((EXAMPLE / "people.yaml").read_text())["people"]
HEAD = next(p for p in PEOPLE if p["title"] == "考核办主任")
CONTACT = next(p for p in PEOPLE if p.get("unit") == "baiquan-town")


@pytest.fixture
def env(indicators_module_stack, tmp_path) -> dict[str, str]:
    return {
        **os.environ,
        **issuer_environment(),
        "ONEASSESS_CLIENT_SECRET": "",  # a person's CLI holds no client secret
        "ONEASSESS_HOME": str(tmp_path / "home"),
        "INDICATORS_ADDRESS": indicators_module_stack.address("indicators"),
        "SUBMISSIONS_ADDRESS": f"127.0.0.1:{free_port()}",
        "SCORING_ADDRESS": f"127.0.0.1:{free_port()}",
        "ONEASSESS_TOKEN": "",
        "COLUMNS": "200",
    }


async def oneassess(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """The CLI as its own process, off the event loop the in-process service runs on."""
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_a_person_signs_in_and_later_commands_act_as_them(env, tmp_path):
    wrong = await oneassess(env, "login", HEAD["sub"], "--password", "not-it")
    assert wrong.returncode == 1 and "wrong username or password" in wrong.stderr
    assert (await oneassess(env, "whoami")).returncode == 1

    signed = await oneassess(env, "login", HEAD["sub"], "--password", HEAD["password"])
    assert signed.returncode == 0, signed.stderr
    assert f"signed in as {HEAD['name']} ({HEAD['sub']}, admin)" in signed.stdout
    tokens = tmp_path / "home" / "tokens"
    for path in tokens.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert HEAD["name"] in (await oneassess(env, "whoami")).stdout

    imported = await oneassess(env, "units", "import", str(EXAMPLE / "units.yaml"))
    assert imported.returncode == 0, imported.stderr
    token = (await oneassess(env, "token")).stdout.strip()
    assert jwt.decode(token, options={"verify_signature": False})["sub"] == HEAD["sub"]

    out = await oneassess(env, "logout")
    assert out.returncode == 0 and HEAD["sub"] in out.stdout
    assert not list(tokens.glob("*.json"))
    assert (await oneassess(env, "whoami")).returncode == 1


async def test_as_signs_in_as_the_sample_person_of_that_role_and_scope(env):
    signed = await oneassess(env, "login", "--as", "unit:baiquan-town")
    assert signed.returncode == 0, signed.stderr
    assert f"{CONTACT['name']} ({CONTACT['sub']}, unit:baiquan-town)" in signed.stdout
    token = (await oneassess(env, "token")).stdout.strip()
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["sub"], claims["unit"]) == (CONTACT["sub"], "baiquan-town")
    # As that unit's contact, the office's commands are refused by the service.
    refused = await oneassess(env, "units", "import", str(EXAMPLE / "units.yaml"))
    assert refused.returncode == 1 and "PERMISSION_DENIED" in refused.stderr
    # --as on one command acts as that sample person for that command only.
    office = await oneassess(env, "token", "--as", "auditor")
    auditor = jwt.decode(office.stdout.strip(), options={"verify_signature": False})
    assert auditor["role"] == "auditor"
    assert "baiquan-town" in (await oneassess(env, "whoami")).stdout


async def test_an_unknown_sample_scope_is_named(env):
    out = await oneassess(env, "login", "--as", "unit:atlantis")
    assert out.returncode == 1 and "no sample person" in out.stderr
