"""The local stack's files: PostgreSQL asks for a password (no trust on 127.0.0.1), and the
password, the token secret, blobs and their directories are the owner's only from creation."""

from __future__ import annotations

import stat
from pathlib import Path

import asyncpg
import pytest

from localstack.ports import free_port
from localstack.postgres import EmbeddedPostgres
from localstack.stack import redacted
from services.common.audit import audit_key
from services.submissions.blobstore import LocalBlobStore
from tests.conftest import make_settings

pytestmark = pytest.mark.hostile


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_embedded_postgres_refuses_connections_without_its_password(tmp_path):
    server = EmbeddedPostgres(tmp_path / "postgres" / "data", port=free_port()).ensure_running()
    try:
        assert _mode(server.password_file) == 0o600
        conn = await asyncpg.connect(server.url)  # the URL carries the password
        assert await conn.fetchval("SELECT current_user") == "postgres"
        await conn.close()
        port = server.running_port()
        for wrong in ("", ":guess"):
            with pytest.raises(
                (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError)
            ):
                await asyncpg.connect(f"postgresql://postgres{wrong}@127.0.0.1:{port}/postgres")
        assert "***" in redacted(server.url) and server.password_file.read_text() not in redacted(
            server.url
        )
    finally:
        server.stop()


async def test_secrets_and_blobs_are_owner_only(tmp_path):
    settings = make_settings(tmp_path / "home", "postgresql://unused/none", ONEASSESS_AUDIT_KEY="")
    audit_key(settings)
    assert _mode(settings.home / "audit-key") == 0o600
    store = LocalBlobStore(tmp_path / "blobs")
    sha256, created = await store.put_bytes(b"%PDF-1.7 evidence")
    assert created
    blob = store.path_of(sha256)
    assert _mode(blob) == 0o400
    for directory in (blob.parent, store.root / "sha256", store.root / "tmp", store.tmp):
        assert _mode(directory) == 0o700, directory
