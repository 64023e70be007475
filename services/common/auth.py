"""Bearer tokens: JWTs signed by the OIDC provider (RS256 or ES256), verified against its
published keys (JWKS), mapped to the person (or service) calling and their role and scope.

Roles (DESIGN.md): admin (the assessment office), assessor (a line department), unit (an
assessed unit), auditor (reads everything, changes nothing), and service: the identity the
worker and the services use to call each other (client_credentials tokens).

A missing scope denies, never widens: a unit token without `unit` and an assessor token
without `department` are refused before any RPC runs.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass

import httpx
import jwt

from oneassess.client.tokens import Role
from services.common.errors import PermissionDenied, Unauthenticated, Unavailable

log = logging.getLogger(__name__)

# Only asymmetric signatures: a service holds public keys, never a secret that could sign.
ALGORITHMS = ("RS256", "ES256")
LEEWAY_SECONDS = 30  # clock skew tolerated on exp, nbf and iat
KEYS_MAX_AGE_SECONDS = 3600  # keys are fetched again at least this often (rotation)
MIN_REFETCH_SECONDS = 10  # an unknown kid refetches the keys at most this often
MAX_TOKEN_CHARS = 8192
# Tokens whose signature was checked are remembered (least recently used go first) until
# they expire, their key leaves the JWKS, or the keys are due to be fetched again: a client
# sends the same token with every call, and checking an ES256 signature is most of a small
# call's cost. 4,096 tokens of at most MAX_TOKEN_CHARS bound the memory.
VERIFIED_TOKENS_KEPT = 4096


@dataclass(frozen=True)
class Principal:
    """Who is calling: from a verified token."""

    subject: str  # the person (or service) acting: the token's `sub`
    role: Role
    unit: str = ""
    department: str = ""
    name: str = ""  # the person's display name, for the trail
    on_behalf_of: str = ""  # the person whose authority is delegated to `subject`, if any

    @property
    def signature(self) -> str:
        """How a decision names who took it: the person, and whom they acted for."""
        return f"{self.subject} for {self.on_behalf_of}" if self.on_behalf_of else self.subject

    def require_unit(self, unit_code: str, field: str = "unit_code") -> None:
        """A unit acts only for itself; other roles pass (their RPC policy already checked them)."""
        if self.role is Role.UNIT and self.unit != unit_code:
            raise PermissionDenied(
                f"{field}: unit '{self.unit}' may not act for unit '{unit_code}'",
                "OTHER_UNIT",
                metadata={"field": field},
            )

    def require_department(self, department: str, field: str) -> None:
        """An assessor acts only on its own line department's special assessments."""
        if self.role is Role.ASSESSOR and self.department != department:
            raise PermissionDenied(
                f"{field}: line department '{self.department}' may not act on "
                f"'{department}''s special assessment",
                "OTHER_DEPARTMENT",
                metadata={"field": field},
            )


# The role sets RPC policies are written with, in one place.
# Who may call read RPCs: every signed-in role (each read then narrows to the caller's scope).
READERS = frozenset({Role.ADMIN, Role.AUDITOR, Role.SERVICE, Role.ASSESSOR, Role.UNIT})
# Who reads the audit trail (histories, ask times): the office, auditors and services.
AUDIT_READERS = frozenset({Role.ADMIN, Role.AUDITOR, Role.SERVICE})
# Who runs the calendar (open, extend, close; record notifications): the office and services.
OFFICE = frozenset({Role.ADMIN, Role.SERVICE})
# The assessment office alone.
ADMIN_ONLY = frozenset({Role.ADMIN})
# The office, or a line department acting on its own special assessments.
ADMIN_OR_ASSESSOR = frozenset({Role.ADMIN, Role.ASSESSOR})
# A unit acting for itself, or the office acting for it.
UNIT_OR_ADMIN = frozenset({Role.UNIT, Role.ADMIN})


current_principal: contextvars.ContextVar[Principal] = contextvars.ContextVar("principal")


def principal() -> Principal:
    return current_principal.get()


class Verifier:
    """Verifies bearer tokens against the provider's keys: discovery document, then JWKS,
    cached; an unknown `kid` fetches the keys again (rate-limited), so a rotated key is
    picked up without a restart."""

    def __init__(self, discovery_url: str, issuer: str, audience: str) -> None:
        self.discovery_url = discovery_url
        self.issuer = issuer
        self.audience = audience
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = 0.0
        self._lock: asyncio.Lock | None = None
        # token -> (kid, exp, who): what verifying it found
        self._verified: OrderedDict[str, tuple[str, float, Principal]] = OrderedDict()

    @classmethod
    def from_settings(cls, settings) -> Verifier:
        return cls(settings.discovery_url, settings.issuer, settings.audience)

    async def verify(self, token: str) -> Principal:
        if len(token) > MAX_TOKEN_CHARS:
            raise Unauthenticated("invalid token: too long", "TOKEN_INVALID")
        known = self._verified_before(token)
        if known is not None:
            return known
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as err:
            raise Unauthenticated(f"invalid token: {err}", "TOKEN_INVALID") from err
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:
            raise Unauthenticated(
                f"invalid token: algorithm {algorithm!r} is not accepted "
                f"(only {', '.join(ALGORITHMS)})",
                "TOKEN_INVALID",
            )
        kid = str(header.get("kid") or "")
        key = await self._key(kid)
        if key.algorithm_name != algorithm:
            raise Unauthenticated(
                f"invalid token: key {key.key_id!r} is for {key.algorithm_name}, not {algorithm}",
                "TOKEN_INVALID",
            )
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as err:
            raise Unauthenticated("token expired: get a new one", "TOKEN_EXPIRED") from err
        except jwt.ImmatureSignatureError as err:
            raise Unauthenticated("token not valid yet (nbf)", "TOKEN_NOT_YET_VALID") from err
        except jwt.InvalidTokenError as err:
            raise Unauthenticated(f"invalid token: {err}", "TOKEN_INVALID") from err
        who = principal_of(claims)
        self._verified[token] = (kid, float(claims["exp"]), who)
        if len(self._verified) > VERIFIED_TOKENS_KEPT:
            self._verified.popitem(last=False)
        return who

    def _verified_before(self, token: str) -> Principal | None:
        """Who a token verified earlier names, while that verification still holds."""
        known = self._verified.get(token)
        if known is None:
            return None
        kid, expires, who = known
        keys_current = time.monotonic() - self._fetched_at <= KEYS_MAX_AGE_SECONDS
        if kid not in self._keys or not keys_current or time.time() > expires + LEEWAY_SECONDS:
            del self._verified[token]  # verified afresh: refused, or remembered again
            return None
        self._verified.move_to_end(token)
        return who

    async def _key(self, kid: str) -> jwt.PyJWK:
        if not kid:
            raise Unauthenticated("invalid token: no key id (kid) in its header", "TOKEN_INVALID")
        stale = time.monotonic() - self._fetched_at > KEYS_MAX_AGE_SECONDS
        if kid not in self._keys or stale:
            if self._lock is None:
                self._lock = asyncio.Lock()
            async with self._lock:
                since = time.monotonic() - self._fetched_at
                unknown = kid not in self._keys
                if (unknown and (since > MIN_REFETCH_SECONDS or not self._keys)) or (
                    since > KEYS_MAX_AGE_SECONDS
                ):
                    await self._fetch()
        if kid not in self._keys:
            raise Unauthenticated(
                f"invalid token: signed with a key the issuer does not publish ({kid[:64]!r})",
                "TOKEN_INVALID",
            )
        return self._keys[kid]

    async def _fetch(self) -> None:
        try:
            async with httpx.AsyncClient(timeout=10.0) as client:
                reply = await client.get(self.discovery_url)
                reply.raise_for_status()
                discovery = reply.json()
                if discovery.get("issuer", "").rstrip("/") != self.issuer.rstrip("/"):
                    raise ValueError(
                        f"discovery names issuer {discovery.get('issuer')!r}, "
                        f"not the configured {self.issuer!r}"
                    )
                reply = await client.get(discovery["jwks_uri"])
                reply.raise_for_status()
                jwks = reply.json()
            keys = {}
            for entry in jwks.get("keys", []):
                if entry.get("use", "sig") != "sig" or not entry.get("kid"):
                    continue
                try:
                    key = jwt.PyJWK.from_dict(entry)
                except jwt.PyJWTError:
                    continue  # a key of a kind we do not use
                if key.algorithm_name in ALGORITHMS:
                    keys[entry["kid"]] = key
        except (httpx.HTTPError, ValueError, KeyError) as err:
            # Keep the keys already known; only the next unknown kid tries again.
            self._fetched_at = time.monotonic()
            log.warning("cannot fetch the issuer's keys from %s: %s", self.discovery_url, err)
            if not self._keys:
                raise Unavailable(
                    f"cannot fetch the identity provider's keys ({self.discovery_url})",
                    "ISSUER_UNAVAILABLE",
                ) from err
            return
        self._keys = keys
        self._fetched_at = time.monotonic()


def principal_of(claims: dict) -> Principal:
    """A verified token's claims as the caller; a role without the scope it needs is denied."""
    try:
        role = Role(claims.get("role"))
    except ValueError as err:
        raise PermissionDenied(
            f"token carries no known role ({claims.get('role')!r})", "ROLE_MISSING"
        ) from err
    unit = str(claims.get("unit") or "")
    department = str(claims.get("department") or "")
    if role is Role.UNIT and not unit:
        raise PermissionDenied("a unit token must name its unit (claim `unit`)", "SCOPE_MISSING")
    if role is Role.ASSESSOR and not department:
        raise PermissionDenied(
            "an assessor token must name its line department (claim `department`)",
            "SCOPE_MISSING",
        )
    return Principal(
        subject=str(claims["sub"]),
        role=role,
        unit=unit if role is Role.UNIT else "",
        department=department if role is Role.ASSESSOR else "",
        name=str(claims.get("name") or ""),
    )
