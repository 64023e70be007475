"""Bearer tokens: signed JWTs (PyJWT, HS256) carrying a role and its scope.

Roles (DESIGN.md): admin (the assessment office), assessor (a line department), unit (an
assessed unit), auditor (reads everything, changes nothing), and service: the identity the
worker and the services use to call each other.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass

import jwt

from oneassess.client.tokens import ALGORITHM, ISSUER, Role
from services.common.errors import PermissionDenied, Unauthenticated


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


def verify_token(secret: str, token: str) -> Principal:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "role"]},
        )
    except jwt.ExpiredSignatureError as err:
        raise Unauthenticated("token expired: get a new one", "TOKEN_EXPIRED") from err
    except jwt.InvalidTokenError as err:
        raise Unauthenticated(f"invalid token: {err}", "TOKEN_INVALID") from err
    try:
        role = Role(claims["role"])
    except ValueError as err:
        raise Unauthenticated(
            f"invalid token: unknown role {claims['role']!r}", "TOKEN_INVALID"
        ) from err
    return Principal(
        subject=str(claims["sub"]),
        role=role,
        unit=str(claims.get("unit", "")),
        department=str(claims.get("department", "")),
    )
