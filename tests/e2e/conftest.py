"""A fresh `oneassess up` on free ports and its own data directory, shared by a module's tests,
and the CLI run as its own process against it."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from localstack.ports import free_port


def stack_environment(home: Path) -> dict[str, str]:
    """Everything `oneassess up` and the CLI read: free ports, this data directory."""
    return {
        "ONEASSESS_HOME": str(home),
        "ISSUER_PORT": str(free_port()),
        "TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
        "TEMPORAL_UI_PORT": str(free_port()),
        "INDICATORS_PORT": str(free_port()),
        "SUBMISSIONS_PORT": str(free_port()),
        "SCORING_PORT": str(free_port()),
        "PORTAL_PORT": str(free_port()),
        # Four ports from here (services, worker): random, so parallel stacks rarely share.
        "ONEASSESS_METRICS_BASE_PORT": str(free_port()),
        "DATABASE_URL": "",
        "COLUMNS": "200",
    }


@dataclass(frozen=True)
class Ran:
    code: int
    stdout: str
    stderr: str


def oneassess(env: dict[str, str], *args: str, timeout: float = 180) -> Ran:
    """`oneassess ARGS` as its own process, as a person runs it."""
    result = subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Ran(result.returncode, result.stdout, result.stderr)


@pytest.fixture(scope="module")
def running_stack(tmp_path_factory) -> dict[str, str]:
    """The environment of a running `oneassess up`; `oneassess down` afterwards."""
    env = stack_environment(tmp_path_factory.mktemp("stack") / "home")
    started = oneassess(env, "up", timeout=300)
    try:
        assert started.code == 0, started.stdout + started.stderr
        yield env
    finally:
        oneassess(env, "down", timeout=120)
