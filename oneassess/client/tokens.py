"""Bearer tokens from the OIDC issuer, as clients get and keep them.

- Services and the worker: `ClientCredentials`, their own client id and secret exchanged for
  a short-lived service token (cached until shortly before it expires).
- People (the CLI): `password_login` on the local stack (`oneassess login`), the token kept
  in ONEASSESS_HOME/tokens/ (0600) by `TokenCache`. Services verify every token against the
  issuer's public keys (services.common.auth); no client ever holds a signing key.

Roles: admin (the assessment office), assessor (a line department), unit (an assessed unit),
auditor (reads everything, changes nothing), and service: the identity the worker and the
services use to call each other.
"""

from __future__ import annotations

import asyncio
import enum
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oneassess.config import Settings

if TYPE_CHECKING:
    import httpx

HTTP_TIMEOUT_SECONDS = 10.0
REFRESH_BEFORE_SECONDS = 60  # a cached token is renewed this long before it expires
CLI_CLIENT_ID = "cli"


class Role(enum.StrEnum):
    ADMIN = "admin"
    ASSESSOR = "assessor"
    UNIT = "unit"
    AUDITOR = "auditor"
    SERVICE = "service"


class TokenError(RuntimeError):
    """No token could be had: the issuer refused (its words are in the message) or is down."""


def bearer_metadata(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


def parse_as(value: str) -> tuple[Role, str, str]:
    """`--as admin|auditor|unit:CODE|assessor:DEPT` -> (role, unit, department)."""
    role_name, _, scope = value.partition(":")
    try:
        role = Role(role_name)
    except ValueError as err:
        raise ValueError(
            f"--as: unknown role {role_name!r}: use admin, auditor, unit:CODE or assessor:DEPT"
        ) from err
    if role is Role.SERVICE:
        raise ValueError("--as: service is not a person; services get their own tokens")
    if role is Role.UNIT:
        if not scope:
            raise ValueError("--as unit:CODE: a unit needs its code")
        return role, scope, ""
    if role is Role.ASSESSOR:
        if not scope:
            raise ValueError("--as assessor:DEPT: an assessor needs its line department")
        return role, "", scope
    return role, "", ""


@dataclass(frozen=True)
class Token:
    access_token: str
    expires_at: float
    subject: str = ""
    name: str = ""

    def fresh(self, now: float | None = None) -> bool:
        return (now or time.time()) < self.expires_at - REFRESH_BEFORE_SECONDS


def _token_from(reply: httpx.Response, subject: str = "") -> Token:
    try:
        body = reply.json()
    except ValueError:
        body = {}
    if reply.status_code != 200 or "access_token" not in body:
        words = body.get("error_description") or body.get("error") or reply.text[:200]
        raise TokenError(f"the issuer refused ({reply.status_code}): {words}")
    expires_in = float(body.get("expires_in") or 300)
    return Token(str(body["access_token"]), time.time() + expires_in, subject)


def _discovery(settings: Settings) -> dict[str, Any]:
    import httpx  # here, not at the top: every CLI command imports this module

    try:
        reply = httpx.get(settings.discovery_url, timeout=HTTP_TIMEOUT_SECONDS)
        reply.raise_for_status()
        return reply.json()
    except (httpx.HTTPError, ValueError) as err:
        raise TokenError(f"cannot reach the issuer at {settings.discovery_url}: {err}") from err


async def _discovery_async(client: httpx.AsyncClient, settings: Settings) -> dict[str, Any]:
    import httpx

    try:
        reply = await client.get(settings.discovery_url)
        reply.raise_for_status()
        return reply.json()
    except (httpx.HTTPError, ValueError) as err:
        raise TokenError(f"cannot reach the issuer at {settings.discovery_url}: {err}") from err


def password_login(
    settings: Settings, username: str, password: str, *, client_id: str = CLI_CLIENT_ID
) -> Token:
    """A person's token by the password grant (the local stack's issuer allows it for the CLI)."""
    import httpx

    endpoint = _discovery(settings)["token_endpoint"]
    try:
        reply = httpx.post(
            endpoint,
            data={
                "grant_type": "password",
                "username": username,
                "password": password,
                "client_id": client_id,
            },
            timeout=HTTP_TIMEOUT_SECONDS,
        )
    except httpx.HTTPError as err:
        raise TokenError(f"cannot reach the issuer at {endpoint}: {err}") from err
    return _token_from(reply, username)


@dataclass(frozen=True)
class SamplePerson:
    sub: str
    name: str
    role: str
    password: str


def sample_person(people_file: Path, as_value: str) -> SamplePerson:
    """The local stack's sample person for `--as admin|auditor|unit:CODE|assessor:DEPT`: the
    first person of that role and scope in the people file (for admin: the office head)."""
    import yaml

    role, unit, department = parse_as(as_value)
    try:
        doc = yaml.safe_load(people_file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise ValueError(f"--as: cannot read the sample people ({people_file}): {err}") from err
    for entry in doc.get("people") or []:
        if not isinstance(entry, dict) or entry.get("role") != role.value:
            continue
        if role is Role.UNIT and entry.get("unit") != unit:
            continue
        if role is Role.ASSESSOR and entry.get("department") != department:
            continue
        return SamplePerson(
            str(entry["sub"]), str(entry.get("name", "")), role.value, str(entry["password"])
        )
    raise ValueError(f"--as {as_value}: no sample person with that role and scope in {people_file}")


class ClientCredentials:
    """A token source for a service or the worker: `await source()` gives a valid token,
    asked of the issuer with this client's id and secret only when the cached one runs out."""

    def __init__(self, settings: Settings, client_id: str, client_secret: str) -> None:
        self._settings = settings
        self._client_id = client_id
        self._secret = client_secret
        self._token: Token | None = None
        self._lock: asyncio.Lock | None = None

    async def __call__(self) -> str:
        if self._token is not None and self._token.fresh():
            return self._token.access_token
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._token is None or not self._token.fresh():
                self._token = await self._fetch()
        return self._token.access_token

    async def _fetch(self) -> Token:
        import httpx

        if not self._secret:
            raise TokenError(
                f"client {self._client_id!r} has no secret: set ONEASSESS_CLIENT_SECRET "
                "(its client_credentials secret at the issuer)"
            )
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS) as client:
            endpoint = (await _discovery_async(client, self._settings))["token_endpoint"]
            try:
                reply = await client.post(
                    endpoint,
                    data={"grant_type": "client_credentials"},
                    auth=(self._client_id, self._secret),
                )
            except httpx.HTTPError as err:
                raise TokenError(f"cannot reach the issuer at {endpoint}: {err}") from err
        return _token_from(reply, self._client_id)


def write_private(path: Path, text: str) -> None:
    """Replace `path` with `text`; the file is readable by its owner only from the start."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, path)


class TokenCache:
    """People's tokens kept by the CLI: ONEASSESS_HOME/tokens/<sub>.json (0600), and
    `current`, the person `oneassess login` last signed in."""

    def __init__(self, home: Path) -> None:
        self.directory = home / "tokens"

    def _path(self, subject: str) -> Path:
        if not subject or "/" in subject or subject.startswith("."):
            raise ValueError(f"not a person id: {subject!r}")
        return self.directory / f"{subject}.json"

    def get(self, subject: str) -> Token | None:
        try:
            data = json.loads(self._path(subject).read_text(encoding="utf-8"))
            token = Token(**data)
        except (OSError, ValueError, TypeError):
            return None
        return token if token.fresh() else None

    def put(self, token: Token, *, current: bool) -> None:
        write_private(self._path(token.subject), json.dumps(token.__dict__, ensure_ascii=False))
        if current:
            write_private(self.directory / "current", token.subject)

    def current(self) -> str:
        try:
            return (self.directory / "current").read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    def clear(self) -> list[str]:
        """Forget every cached token; returns the people forgotten."""
        gone = []
        for path in self.directory.glob("*.json") if self.directory.exists() else []:
            gone.append(path.stem)
            path.unlink(missing_ok=True)
        (self.directory / "current").unlink(missing_ok=True)
        return gone
