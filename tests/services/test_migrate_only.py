"""`python -m services.<name> --migrate-only`: a deployment's migration step. It applies the
schema and exits; a replica started with ONEASSESS_MIGRATE_ON_START=false then applies none."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("service", ["indicators", "submissions", "scoring"])
async def test_migrate_only_applies_the_schema_and_exits(service, database_url, tmp_path):
    env = {**os.environ, "DATABASE_URL": database_url, "ONEASSESS_HOME": str(tmp_path)}
    done = subprocess.run(  # noqa: ASYNC221
        [sys.executable, "-m", f"services.{service}", "--migrate-only"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    conn = await asyncpg.connect(database_url)
    try:
        applied = await conn.fetchval(f'SELECT count(*) FROM "{service}".schema_migrations')
    finally:
        await conn.close()
    on_disk = len(list((REPO / "services" / service / "migrations").glob("*.sql")))
    common = len(list((REPO / "services" / "common" / "migrations").glob("*.sql")))
    assert applied == on_disk + common
    again = subprocess.run(  # noqa: ASYNC221
        [sys.executable, "-m", f"services.{service}", "--migrate-only"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0 and "schema up to date" in again.stderr, again.stderr
