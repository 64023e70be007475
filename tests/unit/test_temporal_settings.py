"""Reaching a Temporal cluster or Temporal Cloud: TLS and API key settings (the worker and the
services only)."""

from __future__ import annotations

import pytest
from temporalio.service import TLSConfig

from oneassess.config import Settings
from oneassess.temporal import tls_config


def settings(**values) -> Settings:
    return Settings(**{"TEMPORAL_ADDRESS": "temporal.city.example:7233", **values})


def test_plaintext_for_the_local_dev_server():
    assert settings().temporal_tls_files() is None
    assert tls_config(settings()) is False


def test_an_api_key_turns_tls_on_with_the_system_roots():
    cloud = settings(TEMPORAL_API_KEY="key-123")
    assert cloud.temporal_tls_files() == {}
    assert tls_config(cloud) == TLSConfig()
    assert "key-123" not in repr(cloud)


def test_mtls_reads_the_ca_certificate_and_key(tmp_path):
    for name in ("ca.pem", "client.pem", "client.key"):
        (tmp_path / name).write_bytes(name.encode())
    cluster = settings(
        TEMPORAL_TLS_CA=str(tmp_path / "ca.pem"),
        TEMPORAL_TLS_CERT=str(tmp_path / "client.pem"),
        TEMPORAL_TLS_KEY=str(tmp_path / "client.key"),
        TEMPORAL_TLS_SERVER_NAME="temporal-frontend",
    )
    assert tls_config(cluster) == TLSConfig(
        server_root_ca_cert=b"ca.pem",
        client_cert=b"client.pem",
        client_private_key=b"client.key",
        domain="temporal-frontend",
    )


def test_a_certificate_needs_its_key(tmp_path):
    (tmp_path / "client.pem").write_bytes(b"x")
    with pytest.raises(ValueError, match="needs both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY"):
        settings(TEMPORAL_TLS_CERT=str(tmp_path / "client.pem")).temporal_tls_files()
