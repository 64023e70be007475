"""The Temporal client options every process derives from the TEMPORAL_* settings."""

from __future__ import annotations

import pytest

from oneassess.config import Settings


def test_plaintext_by_default():
    assert Settings().temporal_connect_options() == {}


def test_mtls_reads_the_certificate_key_and_ca(tmp_path):
    for name in ("cert", "key", "ca"):
        (tmp_path / name).write_bytes(f"-----{name}-----".encode())
    options = Settings(
        TEMPORAL_TLS_CERT=str(tmp_path / "cert"),
        TEMPORAL_TLS_KEY=str(tmp_path / "key"),
        TEMPORAL_TLS_CA=str(tmp_path / "ca"),
        TEMPORAL_TLS_SERVER_NAME="temporal.city.internal",
    ).temporal_connect_options()
    tls = options["tls"]
    assert (tls.client_cert, tls.client_private_key, tls.server_root_ca_cert, tls.domain) == (
        b"-----cert-----",
        b"-----key-----",
        b"-----ca-----",
        "temporal.city.internal",
    )
    assert "api_key" not in options


def test_an_api_key_turns_tls_on():
    options = Settings(TEMPORAL_API_KEY="key-123").temporal_connect_options()
    assert options["api_key"] == "key-123"
    assert options["tls"].client_cert is None


def test_a_certificate_without_its_key_is_refused(tmp_path):
    (tmp_path / "cert").write_bytes(b"c")
    with pytest.raises(ValueError, match="TEMPORAL_TLS_KEY"):
        Settings(TEMPORAL_TLS_CERT=str(tmp_path / "cert")).temporal_connect_options()
