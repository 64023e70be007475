"""`oneassess up` failures give one clear line (what, where the log is) and leave nothing
running."""

from __future__ import annotations

import socket
from pathlib import Path

import psutil
import pytest

from localstack import stack
from localstack.ports import free_port
from oneassess.config import Settings


def _settings(home: Path, **extra: str) -> Settings:
    return Settings(
        ONEASSESS_HOME=str(home),
        ISSUER_PORT=str(free_port()),
        TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}",
        TEMPORAL_UI_PORT=str(free_port()),
        INDICATORS_PORT=str(free_port()),
        SUBMISSIONS_PORT=str(free_port()),
        SCORING_PORT=str(free_port()),
        PORTAL_PORT=str(free_port()),
        **extra,
    )


def _nothing_running(home: Path, pids: list[int]) -> None:
    assert not list((home / "run").glob("*.pid"))
    alive = [
        p
        for p in pids
        if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE
    ]
    assert alive == []


async def test_a_port_in_use_is_named_before_anything_starts(tmp_path: Path):
    settings = _settings(tmp_path / "home", DATABASE_URL="postgresql://unused@127.0.0.1:1/x")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", settings.scoring_port))
        taken.listen()
        with pytest.raises(stack.StackError) as err:
            await stack.up(settings, progress=lambda *_: None)
    assert str(err.value) == (
        f"scoring: port {settings.scoring_port} is already in use; free it or set SCORING_PORT"
    )
    assert not (tmp_path / "home" / "run").exists() or not list(
        (tmp_path / "home" / "run").glob("*.pid")
    )


async def test_a_crashed_child_names_its_log_and_the_rest_is_stopped(tmp_path: Path):
    home = tmp_path / "home"
    # A database nobody listens on: the first service exits during start-up.
    settings = _settings(home, DATABASE_URL=f"postgresql://postgres@127.0.0.1:{free_port()}/none")
    started: list[int] = []

    def progress(line: str) -> None:
        if "pid" in line:
            started.append(int(line.rsplit("pid ", 1)[1].rstrip(")")))

    with pytest.raises(stack.StackError) as err:
        await stack.up(settings, progress=progress)
    message = str(err.value)
    assert message.startswith("indicators exited with code ")
    assert message.endswith(f"during start-up; log: {home / 'logs' / 'indicators.log'}")
    assert "\n" not in message
    assert (home / "logs" / "indicators.log").read_text().strip()
    assert started, "temporal was up before indicators crashed"
    _nothing_running(home, started)


async def test_a_missing_binary_is_one_clear_line(tmp_path: Path, monkeypatch):
    settings = _settings(tmp_path / "home", DATABASE_URL="postgresql://unused@127.0.0.1:1/x")
    monkeypatch.setattr(
        stack,
        "processes",
        lambda s: [stack.Process("temporal", ["/nonexistent/temporal", "server"], None)],
    )
    with pytest.raises(stack.StackError) as err:
        await stack.up(settings, progress=lambda *_: None)
    assert (
        str(err.value)
        == "temporal: cannot start '/nonexistent/temporal': No such file or directory"
    )
