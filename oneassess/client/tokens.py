"""Bearer tokens as clients mint them on the local stack: signed JWTs (PyJWT, HS256) carrying a
role and its scope. Services verify them (services.common.auth).

Roles: admin (the assessment office), assessor (a line department), unit (an assessed unit),
auditor (reads everything, changes nothing), and service: the identity the worker and the
services use to call each other.
"""

from __future__ import annotations

import enum
import os
import secrets
import time
from pathlib import Path

import jwt

from oneassess.config import Settings

ALGORITHM = "HS256"
ISSUER = "oneassess"
DEFAULT_TTL_SECONDS = 12 * 3600


class Role(enum.StrEnum):
    ADMIN = "admin"
    ASSESSOR = "assessor"
    UNIT = "unit"
    AUDITOR = "auditor"
    SERVICE = "service"


def token_secret(settings: Settings) -> str:
    """The signing secret: from the environment, else generated once into the data directory."""
    if settings.token_secret:
        return settings.token_secret
    path: Path = settings.home / "token-secret"
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        # Owner-only from the moment it exists (never written first and chmod-ed after).
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
        try:
            os.link(tmp, path)  # first writer wins; a concurrent start reads the same secret
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_text().strip()


def issue_token(
    secret: str,
    role: Role | str,
    *,
    unit: str = "",
    department: str = "",
    subject: str = "",
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
) -> str:
    role = Role(role)
    if role is Role.UNIT and not unit:
        raise ValueError("unit: a unit token needs the unit code (--unit)")
    if role is Role.ASSESSOR and not department:
        raise ValueError("department: an assessor token needs its line department (--department)")
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": subject or _default_subject(role, unit, department),
        "role": role.value,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    if unit:
        claims["unit"] = unit
    if department:
        claims["department"] = department
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def _default_subject(role: Role, unit: str, department: str) -> str:
    scope = unit or department
    return f"{role.value}:{scope}" if scope else role.value


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
    if role is Role.UNIT:
        return role, scope, ""
    if role is Role.ASSESSOR:
        return role, "", scope
    return role, "", ""
