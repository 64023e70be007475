"""Which tokens the services accept: only those the configured issuer signed (RS256/ES256,
checked against its JWKS) for the configured audience, within their validity, naming the
scope their role needs. Exercised on the indicators service on a real port."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from localstack.ports import free_port
from oneassess.client.errors import error_reason
from oneassess.indicators.v1 import indicators_service_pb2 as pb
from oneassess.indicators.v1 import indicators_service_pb2_grpc as pb_grpc
from services.common import auth
from services.common.auth import Role
from services.issuer.keys import SigningKey
from tests.conftest import make_settings, start_stack, stop_stack, test_issuer, token_for


@pytest.fixture
async def indicators(settings):
    stack = await start_stack(settings, ("indicators",))
    yield stack
    await stop_stack(stack)


async def _list_units(address: str, token: str):
    async with grpc.aio.insecure_channel(address) as ch:
        return await pb_grpc.IndicatorsServiceStub(ch).ListUnits(
            pb.ListUnitsRequest(), metadata=(("authorization", f"Bearer {token}"),), timeout=15
        )


async def _refused(address: str, token: str) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await _list_units(address, token)
    return err.value.code(), error_reason(err.value)


def _claims(**changes) -> dict:
    return jwt.decode(token_for(Role.ADMIN, **changes), options={"verify_signature": False})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hs256(claims: dict, secret: bytes, kid: str) -> str:
    """An HS256 token keyed with `secret`, built by hand (PyJWT rightly refuses to)."""
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    body = _b64(json.dumps(claims).encode())
    mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(mac)}"


async def test_a_token_of_the_issuer_passes_and_names_the_person(indicators):
    reply = await _list_units(indicators.address("indicators"), token_for(Role.AUDITOR))
    assert list(reply.units) == []  # authorised: the (empty) listing came back


@pytest.mark.parametrize(
    "case",
    ["another issuer's key", "another iss", "wrong audience", "expired", "not yet valid"],
)
async def test_tokens_the_services_must_not_trust_are_unauthenticated(indicators, case):
    now = int(time.time())
    kid = test_issuer().issuer.key.kid
    if case == "another issuer's key":
        other = SigningKey.generate()  # another provider: its own key and kid
        token = other.sign({**_claims(), "iss": "https://idp.elsewhere.example"})
    elif case == "another iss":
        token = token_for(Role.ADMIN, iss="https://idp.elsewhere.example")
    elif case == "wrong audience":
        token = token_for(Role.ADMIN, aud="portal")
    elif case == "expired":
        token = token_for(Role.ADMIN, iat=now - 7200, nbf=now - 7200, exp=now - 3600)
    else:
        token = token_for(Role.ADMIN, nbf=now + 3600, exp=now + 7200)
    code, reason = await _refused(indicators.address("indicators"), token)
    assert code == grpc.StatusCode.UNAUTHENTICATED
    expected = {"expired": "TOKEN_EXPIRED", "not yet valid": "TOKEN_NOT_YET_VALID"}
    assert reason == expected.get(case, "TOKEN_INVALID")
    assert kid  # the genuine key id exists, so the refusals above are about the case alone


async def test_alg_none_is_unauthenticated(indicators):
    kid = test_issuer().issuer.key.kid
    head = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": kid}).encode())
    token = f"{head}.{_b64(json.dumps(_claims()).encode())}."
    code, reason = await _refused(indicators.address("indicators"), token)
    assert (code, reason) == (grpc.StatusCode.UNAUTHENTICATED, "TOKEN_INVALID")


@pytest.mark.parametrize("form", ["pem", "jwk"])
async def test_hs256_signed_with_the_public_key_is_unauthenticated(indicators, form):
    key = test_issuer().issuer.key
    public = key.private.public_key()
    secret = (
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        if form == "pem"
        else json.dumps(key.public_jwk()).encode()
    )
    token = _hs256(_claims(), secret, key.kid)
    code, reason = await _refused(indicators.address("indicators"), token)
    assert (code, reason) == (grpc.StatusCode.UNAUTHENTICATED, "TOKEN_INVALID")


async def test_a_forged_signature_under_the_issuers_kid_is_unauthenticated(indicators):
    token = jwt.encode(
        _claims(),
        SigningKey.generate().private,
        algorithm="ES256",
        headers={"kid": test_issuer().issuer.key.kid},
    )
    code, _ = await _refused(indicators.address("indicators"), token)
    assert code == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize(
    "claims",
    [
        {"role": "unit"},  # a unit token naming no unit
        {"role": "unit", "unit": ""},
        {"role": "assessor"},  # an assessor token naming no line department
        {"role": "assessor", "department": ""},
        {"role": None},  # no role at all
        {"role": "mayor"},
    ],
)
async def test_a_token_without_the_scope_its_role_needs_is_denied(indicators, claims):
    merged = {**_claims(), **claims}
    token = test_issuer().sign({k: v for k, v in merged.items() if v is not None})
    code, reason = await _refused(indicators.address("indicators"), token)
    assert code == grpc.StatusCode.PERMISSION_DENIED
    assert reason in {"SCOPE_MISSING", "ROLE_MISSING"}


async def test_a_unit_token_is_narrowed_to_its_unit_not_widened(indicators, example_dir):
    from tests.conftest import read_source

    await indicators.admin.indicators.ImportUnits(
        pb.ImportUnitsRequest(file=read_source(example_dir / "units.yaml"))
    )
    own = await _list_units(
        indicators.address("indicators"), token_for(Role.UNIT, unit="baiquan-town")
    )
    everyone = await _list_units(indicators.address("indicators"), token_for(Role.AUDITOR))
    assert len(everyone.units) == 24
    assert len(own.units) < len(everyone.units)


async def test_a_rotated_key_is_fetched_on_its_first_unknown_kid(indicators, monkeypatch):
    monkeypatch.setattr(auth, "MIN_REFETCH_SECONDS", 0)
    issuer = test_issuer().issuer
    address = indicators.address("indicators")
    old_token = token_for(Role.AUDITOR)
    await _list_units(address, old_token)  # the service now caches the old key
    old_key = issuer.key
    issuer.key = SigningKey.generate()
    try:
        await _list_units(address, token_for(Role.AUDITOR))  # new kid: keys fetched again
        code, reason = await _refused(address, old_token)  # the old key is gone from JWKS
        assert (code, reason) == (grpc.StatusCode.UNAUTHENTICATED, "TOKEN_INVALID")
    finally:
        issuer.key = old_key


async def test_unknown_kids_do_not_make_every_call_fetch_the_keys(indicators):
    address = indicators.address("indicators")
    await _list_units(address, token_for(Role.AUDITOR))
    fetched = []
    original = auth.Verifier._fetch

    async def counting(self):
        fetched.append(1)
        await original(self)

    auth.Verifier._fetch = counting
    try:
        for _ in range(5):
            token = SigningKey.generate().sign(_claims())
            code, _ = await _refused(address, token)
            assert code == grpc.StatusCode.UNAUTHENTICATED
    finally:
        auth.Verifier._fetch = original
    assert len(fetched) <= 1  # at most one refetch per MIN_REFETCH_SECONDS


async def test_an_unreachable_issuer_is_unavailable_not_a_pass(tmp_path, database_url):
    settings = make_settings(
        tmp_path / "home", database_url, ONEASSESS_ISSUER_URL=f"http://127.0.0.1:{free_port()}"
    )
    stack = await start_stack(settings, ("indicators",))
    try:
        code, reason = await _refused(stack.address("indicators"), token_for(Role.ADMIN))
    finally:
        await stop_stack(stack)
    assert (code, reason) == (grpc.StatusCode.UNAVAILABLE, "ISSUER_UNAVAILABLE")


async def test_a_verified_token_is_not_checked_again_until_it_expires(indicators, monkeypatch):
    address = indicators.address("indicators")
    decoded = []
    original = jwt.decode

    def counting(*args, **kwargs):
        decoded.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(auth.jwt, "decode", counting)
    monkeypatch.setattr(auth, "LEEWAY_SECONDS", 0)
    expires = int(time.time()) + 10
    token = token_for(Role.AUDITOR, exp=expires)
    for _ in range(3):
        await _list_units(address, token)
    assert len(decoded) == 1  # the signature was checked once
    await asyncio.sleep(max(0.0, expires + 0.5 - time.time()))  # past the token's own expiry
    code, reason = await _refused(address, token)  # remembered, but expired: refused
    assert (code, reason) == (grpc.StatusCode.UNAUTHENTICATED, "TOKEN_EXPIRED")
