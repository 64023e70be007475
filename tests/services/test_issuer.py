"""The local OIDC issuer over HTTP: discovery and JWKS, the authorization-code flow with PKCE
and its login page, the token endpoint's grants and client authentication, and its signing
key (made 0600, reused, refused when others can read it). Against the session's issuer on a
real port, and once as its own process."""

from __future__ import annotations

import os
import re
import secrets
import stat
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
import yaml

from localstack.ports import free_port
from services.issuer.app import s256
from services.issuer.directory import DirectoryError, load_clients, load_people
from services.issuer.keys import KeyFileError, load_or_create
from tests.conftest import EXAMPLE, REPO, TEST_AUDIENCE, TEST_CLIENT_SECRET, test_issuer

REDIRECT = "http://127.0.0.1:8080/auth/callback"
PEOPLE = yaml.safe_load((EXAMPLE / "people.yaml").read_text())["people"]
HEAD = next(p for p in PEOPLE if p["title"] == "考核办主任")


@pytest.fixture(scope="module")
def http():
    with httpx.Client(base_url=test_issuer().url, timeout=10) as client:
        yield client


def _jwks_key(http: httpx.Client, token: str):
    keys = jwt.PyJWKSet.from_dict(http.get("/jwks").json())
    return keys[jwt.get_unverified_header(token)["kid"]]


def _verify(http: httpx.Client, token: str, audience: str) -> dict:
    key = _jwks_key(http, token)
    return jwt.decode(
        token, key.key, algorithms=["ES256", "RS256"], audience=audience, issuer=test_issuer().url
    )


def _authorize(http: httpx.Client, verifier: str, **overrides: str) -> dict[str, str]:
    return {
        "client_id": "portal",
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "openid profile",
        "state": "st-123",
        "nonce": "n-456",
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
        **overrides,
    }


def test_discovery_names_the_issuer_and_its_endpoints(http):
    doc = http.get("/.well-known/openid-configuration").json()
    assert doc["issuer"] == test_issuer().url
    assert doc["jwks_uri"] == f"{test_issuer().url}/jwks"
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert set(doc["id_token_signing_alg_values_supported"]) <= {"ES256", "RS256"}
    keys = http.get(doc["jwks_uri"]).json()["keys"]
    assert [k["kid"] for k in keys] == [test_issuer().issuer.key.kid]
    assert all("d" not in k for k in keys)  # public halves only


def test_the_code_flow_with_pkce_signs_in_a_sample_person(http):
    verifier = secrets.token_urlsafe(48)
    params = _authorize(http, verifier)
    page = http.get("/authorize", params=params)
    assert page.status_code == 200 and 'name="password"' in page.text
    assert page.headers["x-frame-options"] == "DENY"
    wrong = http.post("/authorize", data={**params, "username": HEAD["sub"], "password": "x"})
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.text
    back = http.post(
        "/authorize", data={**params, "username": HEAD["sub"], "password": HEAD["password"]}
    )
    assert back.status_code == 303
    location = urlsplit(back.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert query["state"] == "st-123" and query["iss"] == test_issuer().url
    exchange = {
        "grant_type": "authorization_code",
        "code": query["code"],
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    tokens = http.post("/token", data=exchange, auth=("portal", TEST_CLIENT_SECRET))
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    identity = _verify(http, body["id_token"], "portal")
    assert (identity["sub"], identity["name"], identity["nonce"]) == (
        HEAD["sub"],
        HEAD["name"],
        "n-456",
    )
    access = _verify(http, body["access_token"], TEST_AUDIENCE)
    assert (access["sub"], access["role"]) == (HEAD["sub"], "admin")
    assert access["nbf"] <= time.time() < access["exp"]
    # The code is good once.
    again = http.post("/token", data=exchange, auth=("portal", TEST_CLIENT_SECRET))
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    # Userinfo answers for the access token.
    me = http.get("/userinfo", headers={"authorization": f"Bearer {body['access_token']}"})
    assert me.json() == {"sub": HEAD["sub"], "name": HEAD["name"], "role": "admin"}


def _code_for(http: httpx.Client, verifier: str) -> str:
    params = _authorize(http, verifier)
    back = http.post(
        "/authorize", data={**params, "username": HEAD["sub"], "password": HEAD["password"]}
    )
    return parse_qs(urlsplit(back.headers["location"]).query)["code"][0]


def test_a_code_needs_its_verifier_its_client_and_its_redirect_uri(http):
    verifier = secrets.token_urlsafe(48)
    base = {"grant_type": "authorization_code", "redirect_uri": REDIRECT}
    for changes, auth in [
        ({"code_verifier": secrets.token_urlsafe(48)}, ("portal", TEST_CLIENT_SECRET)),
        (
            {"code_verifier": verifier, "redirect_uri": REDIRECT + "x"},
            ("portal", TEST_CLIENT_SECRET),
        ),
        ({"code_verifier": verifier}, ("portal", "not-the-secret")),
    ]:
        code = _code_for(http, verifier)
        reply = http.post("/token", data={**base, "code": code, **changes}, auth=auth)
        assert reply.status_code in (400, 401) and "access_token" not in reply.text


def test_an_unregistered_redirect_uri_or_a_missing_pkce_is_refused(http):
    verifier = secrets.token_urlsafe(48)
    evil = http.get(
        "/authorize", params=_authorize(http, verifier, redirect_uri="https://evil.example/cb")
    )
    assert evil.status_code == 400 and "location" not in evil.headers
    plain = http.get("/authorize", params=_authorize(http, verifier, code_challenge_method="plain"))
    assert plain.status_code == 303 and "error=invalid_request" in plain.headers["location"]


def test_client_credentials_give_a_service_token_to_the_right_secret_only(http):
    good = http.post(
        "/token", data={"grant_type": "client_credentials"}, auth=("worker", TEST_CLIENT_SECRET)
    )
    claims = _verify(http, good.json()["access_token"], TEST_AUDIENCE)
    assert (claims["sub"], claims["role"]) == ("worker", "service")
    bad = http.post("/token", data={"grant_type": "client_credentials"}, auth=("worker", "guess"))
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    # The CLI is a public client: it may not ask for service tokens.
    cli = http.post("/token", data={"grant_type": "client_credentials", "client_id": "cli"})
    assert cli.status_code == 400 and cli.json()["error"] == "unauthorized_client"


def test_the_password_grant_signs_in_people_with_their_scope(http):
    contact = next(p for p in PEOPLE if p.get("unit") == "baiquan-town")
    reply = http.post(
        "/token",
        data={
            "grant_type": "password",
            "client_id": "cli",
            "username": contact["sub"],
            "password": contact["password"],
        },
    )
    claims = _verify(http, reply.json()["access_token"], TEST_AUDIENCE)
    assert (claims["role"], claims["unit"], claims["name"]) == (
        "unit",
        "baiquan-town",
        contact["name"],
    )
    wrong = http.post(
        "/token",
        data={
            "grant_type": "password",
            "client_id": "cli",
            "username": contact["sub"],
            "password": "x",
        },
    )
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    # The portal may not use the password grant.
    portal = http.post(
        "/token",
        data={
            "grant_type": "password",
            "username": contact["sub"],
            "password": contact["password"],
        },
        auth=("portal", TEST_CLIENT_SECRET),
    )
    assert portal.json()["error"] == "unauthorized_client"


def test_oversized_or_wrongly_typed_requests_are_refused(http):
    huge = http.post("/token", data={"grant_type": "password", "username": "x" * 5000})
    assert huge.status_code == 400
    as_json = http.post("/token", json={"grant_type": "client_credentials"})
    assert as_json.status_code == 400


def test_the_signing_key_is_created_0600_reused_and_refused_when_others_can_read_it(tmp_path):
    path = tmp_path / "issuer" / "signing-key.pem"
    first = load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create(path).kid == first.kid
    path.chmod(0o644)
    with pytest.raises(KeyFileError, match="readable by others"):
        load_or_create(path)


def test_people_without_the_scope_their_role_needs_are_refused(tmp_path):
    people = tmp_path / "people.yaml"
    people.write_text("people:\n  - {sub: a, name: A, role: unit, password: p}\n")
    with pytest.raises(DirectoryError, match="needs `unit`"):
        load_people(people)
    clients = tmp_path / "clients.yaml"
    clients.write_text("clients:\n  - {id: svc, grants: [client_credentials]}\n")
    with pytest.raises(DirectoryError, match="secret_sha256"):
        load_clients(clients)


def test_the_sample_people_cover_every_role_unit_and_line_department():
    people = load_people(EXAMPLE / "people.yaml")
    units = yaml.safe_load((EXAMPLE / "units.yaml").read_text())["units"]
    owners = {
        yaml.safe_load(p.read_text())["owner"]
        for p in (EXAMPLE / "special-assessments").glob("*.yaml")
    }
    by_role = {}
    for person in people.values():
        by_role.setdefault(person.role, []).append(person)
    assert len(by_role["admin"]) == 2 and len(by_role["auditor"]) == 1
    assert sorted(p.department for p in by_role["assessor"]) == sorted(owners)
    assert sorted(p.unit for p in by_role["unit"]) == sorted(u["code"] for u in units)
    assert all(re.search(r"[\u4e00-\u9fff]", p.name) for p in people.values())


def test_the_issuer_runs_as_its_own_process_with_a_key_only_it_can_read(tmp_path):
    home = tmp_path / "home"
    port = free_port()
    clients = tmp_path / "clients.yaml"
    clients.write_text("clients:\n  - {id: cli, grants: [password]}\n")
    env = {
        **os.environ,
        "ONEASSESS_HOME": str(home),
        "ISSUER_PORT": str(port),
        "ONEASSESS_ISSUER_URL": "",
        "ONEASSESS_ISSUER_CLIENTS": str(clients),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "services.issuer"],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                doc = httpx.get(f"{url}/.well-known/openid-configuration", timeout=2).json()
                break
            except httpx.HTTPError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        assert doc["issuer"] == url
        key = home / "issuer" / "signing-key.pem"
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        reply = httpx.post(
            doc["token_endpoint"],
            data={
                "grant_type": "password",
                "client_id": "cli",
                "username": HEAD["sub"],
                "password": HEAD["password"],
            },
        )
        assert reply.json()["token_type"] == "Bearer"
    finally:
        process.terminate()
        process.wait(timeout=30)
