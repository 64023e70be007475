"""TLS: with a certificate and key the services serve TLS only; clients configured with the
CA reach them (bearer token on top); a plaintext client is refused."""

from __future__ import annotations

import subprocess
from pathlib import Path

import grpc
import pytest

from oneassess.client.channels import ServiceClients
from oneassess.indicators.v1 import indicators_service_pb2 as pb
from services.common.auth import Role
from tests.conftest import EXAMPLE, make_settings, read_source, start_stack, stop_stack, token_for


def self_signed(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "server.pem", directory / "server.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


async def test_services_serve_tls_and_clients_trust_the_configured_ca(tmp_path, database_url):
    cert, key = self_signed(tmp_path)
    settings = make_settings(
        tmp_path / "home",
        database_url,
        ONEASSESS_TLS_CERT=str(cert),
        ONEASSESS_TLS_KEY=str(key),
        ONEASSESS_TLS_CA=str(cert),
    )
    stack = await start_stack(settings, ("indicators",))
    token = token_for(Role.ADMIN)
    secure = ServiceClients.from_settings(settings, token)
    plain = ServiceClients({"indicators": stack.address("indicators")}, token)
    try:
        imported = await secure.indicators.ImportUnits(
            pb.ImportUnitsRequest(file=read_source(EXAMPLE / "units.yaml"))
        )
        assert imported.created == 24
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await plain.indicators.ListUnits(pb.ListUnitsRequest(), timeout=5)
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        await secure.close()
        await plain.close()
        await stop_stack(stack)


def test_a_certificate_without_its_key_is_refused(tmp_path):
    cert, _ = self_signed(tmp_path)
    settings = make_settings(tmp_path / "home", "postgresql://unused", ONEASSESS_TLS_CERT=str(cert))
    with pytest.raises(ValueError, match="both ONEASSESS_TLS_CERT and ONEASSESS_TLS_KEY"):
        settings.server_credentials()
