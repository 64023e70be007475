"""The CLI signs tokens itself only for the local stack; elsewhere a real token is required."""

from __future__ import annotations

import os
import subprocess
import sys


def _oneassess(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        env={**os.environ, "ONEASSESS_TOKEN": "", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_remote_endpoint_without_a_token_is_refused_before_any_call(tmp_path):
    result = _oneassess(
        "catalog",
        "list",
        ONEASSESS_HOME=str(tmp_path),
        INDICATORS_ADDRESS="assess.example.gov.cn:443",
    )
    assert result.returncode == 1
    assert "assess.example.gov.cn:443 is not the local stack: set ONEASSESS_TOKEN" in result.stderr
    assert not (tmp_path / "token-secret").exists()  # no local secret was made up for it


def test_an_unknown_role_is_named(tmp_path):
    result = _oneassess(
        "catalog", "list", "--as", "mayor", ONEASSESS_HOME=str(tmp_path), INDICATORS_PORT="1"
    )
    assert result.returncode == 1
    assert "unknown role 'mayor'" in result.stderr
