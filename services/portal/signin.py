"""Who may sign in, and the token the portal then calls the services with.

`SignIn` is the seam: `LocalSignIn` serves the embedded stack (the sample city's people, one
password, tokens minted with the stack's local signing secret by oneassess.client.tokens);
an OIDC sign-in (authorization-code flow with PKCE against the city's issuer) replaces it
without touching the pages, which only see a `Person` and a bearer token.
"""

from __future__ import annotations

import hmac
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

import yaml

from oneassess.client.tokens import DEFAULT_TTL_SECONDS, Role, issue_token, token_secret
from oneassess.config import Settings

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
        return person if person.role in {r.value for r in Role} - {"service"} else None


class SignIn(Protocol):
    def people(self) -> list[Person]: ...
    def authenticate(self, subject: str, password: str) -> Person | None: ...
    def token_for(self, person: Person) -> str: ...


class LocalSignIn:
    """The embedded stack's sample people: the office, the auditor, an assessor per line
    department (from the special assessments' owners) and a contact per unit."""

    def __init__(self, settings: Settings, people: list[Person] | None = None) -> None:
        self._settings = settings
        self._password = settings.portal_local_password
        self._people = people if people is not None else sample_people(settings.portal_people_dir)
        self._by_subject = {p.subject: p for p in self._people}

    def people(self) -> list[Person]:
        return list(self._people)

    def authenticate(self, subject: str, password: str) -> Person | None:
        person = self._by_subject.get(subject)
        ok = hmac.compare_digest(password.encode(), self._password.encode())
        return person if person is not None and ok and self._password else None

    def token_for(self, person: Person) -> str:
        return issue_token(
            token_secret(self._settings),
            person.role,
            unit=person.unit,
            department=person.department,
            subject=person.subject,
            ttl_seconds=min(SESSION_TTL_SECONDS, DEFAULT_TTL_SECONDS),
        )


def sample_people(example: Path) -> list[Person]:
    """The people of an example city folder: people.yaml when it ships one, else one person
    per role derived from its units and special assessments."""
    people_file = example / "people.yaml"
    if people_file.exists():
        data = yaml.safe_load(people_file.read_text(encoding="utf-8")) or {}
        out = []
        for entry in data.get("people", []):
            role = entry.get("role", "")
            role = "admin" if role in {"office", "admin"} else role
            out.append(
                Person(
                    subject=str(entry.get("sub") or entry.get("subject") or entry.get("id")),
                    name=str(entry.get("name", "")),
                    role=role,
                    unit=str(entry.get("unit", "") or ""),
                    department=str(entry.get("department", "") or ""),
                )
            )
        if out:
            return out
    people = [
        Person("office-head", "考核办 主任", Role.ADMIN.value),
        Person("auditor", "审计 纪检", Role.AUDITOR.value),
    ]
    for path in sorted((example / "special-assessments").glob("*.yaml")):
        sa = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        owner = str(sa.get("owner", ""))
        if owner and all(p.department != owner for p in people):
            people.append(
                Person(
                    f"assessor-{owner}",
                    str(sa.get("name", owner)),
                    Role.ASSESSOR.value,
                    department=owner,
                )
            )
    units_file = example / "units.yaml"
    if units_file.exists():
        for unit in (yaml.safe_load(units_file.read_text(encoding="utf-8")) or {}).get("units", []):
            people.append(
                Person(
                    f"contact-{unit['code']}", str(unit["name"]), Role.UNIT.value, unit=unit["code"]
                )
            )
    return people
