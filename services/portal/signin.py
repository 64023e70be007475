"""Signing people in: the authorization-code flow with PKCE against the OIDC issuer (the
local stack's services/issuer, or the city's provider), through authlib's Starlette client —
it reads the discovery document, keeps state, nonce and the PKCE verifier in the session, and
checks the ID token against the issuer's keys. The portal is the confidential client
`portal`; the person's access token is what it then calls the services with, so every RPC is
authorised as that person.

`SignIn` is the seam the pages see: a `Person` and a bearer token, nothing of the protocol.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Protocol

from starlette.requests import Request
from starlette.responses import Response

from oneassess.config import Settings

ROLES = frozenset({"admin", "assessor", "unit", "auditor"})
SESSION_TTL_SECONDS = 8 * 3600


@dataclass(frozen=True)
class Person:
    """A signed-in person: who (subject, display name) and what they may do (role, scope)."""

    subject: str
    name: str
    role: str
    unit: str = ""
    department: str = ""

    def to_session(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_session(cls, data: dict | None) -> Person | None:
        if not data:
            return None
        try:
            person = cls(
                **{k: str(data[k]) for k in ("subject", "name", "role", "unit", "department")}
            )
        except (KeyError, TypeError):
            return None
        return person if person.role in ROLES else None

    @classmethod
    def from_claims(cls, claims: dict) -> Person | None:
        """The person an ID token names; None for anyone without a portal role (a service)."""
        person = cls(
            subject=str(claims.get("sub", "")),
            name=str(claims.get("name", "") or claims.get("sub", "")),
            role=str(claims.get("role", "")),
            unit=str(claims.get("unit", "") or ""),
            department=str(claims.get("department", "") or ""),
        )
        if not person.subject or person.role not in ROLES:
            return None
        if (person.role == "unit" and not person.unit) or (
            person.role == "assessor" and not person.department
        ):
            return None  # a missing scope denies, never widens
        return person


class SignInFailed(Exception):
    """The issuer refused, or its answer did not check out."""


class SignIn(Protocol):
    async def begin(self, request: Request) -> Response: ...
    async def finish(self, request: Request) -> tuple[Person, str]: ...


class OidcSignIn:
    def __init__(self, settings: Settings) -> None:
        from authlib.integrations.starlette_client import OAuth

        self._oauth = OAuth()
        self._oauth.register(
            "issuer",
            client_id=settings.client_id or "portal",
            client_secret=settings.client_secret,
            server_metadata_url=settings.discovery_url,
            client_kwargs={"scope": "openid profile", "code_challenge_method": "S256"},
        )
        self.redirect_uri = settings.portal_callback_url

    async def begin(self, request: Request) -> Response:
        """Off to the issuer's login page; it comes back to /auth/callback with a code."""
        return await self._oauth.issuer.authorize_redirect(request, self.redirect_uri)

    async def finish(self, request: Request) -> tuple[Person, str]:
        from authlib.integrations.base_client.errors import OAuthError

        try:
            token = await self._oauth.issuer.authorize_access_token(request)
        except OAuthError as err:
            raise SignInFailed(err.description or err.error) from err
        person = Person.from_claims(dict(token.get("userinfo") or {}))
        if person is None or not token.get("access_token"):
            raise SignInFailed("no portal role")
        return person, token["access_token"]
