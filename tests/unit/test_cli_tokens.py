"""The CLI signs in as a sample person only on the local stack; elsewhere a person signs in
(`oneassess login`) or brings a token."""

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
    assert "assess.example.gov.cn:443 is not the local stack" in result.stderr
    assert "sign in with" in result.stderr
    assert not (tmp_path / "tokens").exists()  # nobody was signed in on its behalf


def test_an_unknown_role_is_named(tmp_path):
    result = _oneassess(
        "catalog", "list", "--as", "mayor", ONEASSESS_HOME=str(tmp_path), INDICATORS_PORT="1"
    )
    assert result.returncode == 1
    assert "unknown role 'mayor'" in result.stderr
