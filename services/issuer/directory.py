"""Who may sign in and which clients may ask for tokens, read from YAML files.

people.yaml (the sample city's people ship with the example): sub, name, role, and the scope
the role needs (unit code for a unit's contact, line department for an assessor), and the
password for the local stack. clients.yaml: each OAuth client, its grants, its redirect URIs
and, for a confidential client, the SHA-256 of its secret (the secret itself stays with the
client).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

import yaml

ROLES = ("admin", "assessor", "unit", "auditor")
GRANTS = ("authorization_code", "client_credentials", "password")


class DirectoryError(ValueError):
    """A people or clients file that cannot be used, with the entry at fault."""


@dataclass(frozen=True)
class Person:
    sub: str
    name: str
    role: str
    password: str
    unit: str = ""
    department: str = ""
    title: str = ""

    def claims(self) -> dict[str, str]:
        """What the person's tokens say about them (scope only when the role has one)."""
        out = {"sub": self.sub, "name": self.name, "role": self.role}
        if self.role == "unit":
            out["unit"] = self.unit
        if self.role == "assessor":
            out["department"] = self.department
        return out


@dataclass(frozen=True)
class Client:
    id: str
    grants: tuple[str, ...]
    redirect_uris: tuple[str, ...] = ()
    secret_sha256: str = ""  # empty: a public client (PKCE for the code flow, no secret)

    @property
    def confidential(self) -> bool:
        return bool(self.secret_sha256)

    def secret_matches(self, secret: str) -> bool:
        if not self.confidential or not secret:
            return False
        given = hashlib.sha256(secret.encode()).hexdigest()
        return hmac.compare_digest(given, self.secret_sha256)


def load_people(path: Path) -> dict[str, Person]:
    doc = _read(path)
    people: dict[str, Person] = {}
    for i, entry in enumerate(doc.get("people") or []):
        where = f"{path}: people[{i}]"
        if not isinstance(entry, dict):
            raise DirectoryError(f"{where}: not a mapping")
        sub = str(entry.get("sub", "")).strip()
        role = str(entry.get("role", ""))
        person = Person(
            sub=sub,
            name=str(entry.get("name", "")),
            role=role,
            password=str(entry.get("password", "")),
            unit=str(entry.get("unit", "") or ""),
            department=str(entry.get("department", "") or ""),
            title=str(entry.get("title", "") or ""),
        )
        if not sub or sub in people:
            raise DirectoryError(f"{where}: sub must be present and unique ({sub!r})")
        if role not in ROLES:
            raise DirectoryError(f"{where}: role must be one of {', '.join(ROLES)}, not {role!r}")
        if role == "unit" and not person.unit:
            raise DirectoryError(f"{where}: a unit's contact needs `unit`")
        if role == "assessor" and not person.department:
            raise DirectoryError(f"{where}: an assessor needs `department`")
        if not person.password:
            raise DirectoryError(f"{where}: password is empty")
        people[sub] = person
    return people


def load_clients(path: Path) -> dict[str, Client]:
    doc = _read(path)
    clients: dict[str, Client] = {}
    for i, entry in enumerate(doc.get("clients") or []):
        where = f"{path}: clients[{i}]"
        if not isinstance(entry, dict):
            raise DirectoryError(f"{where}: not a mapping")
        client = Client(
            id=str(entry.get("id", "")),
            grants=tuple(str(g) for g in entry.get("grants") or ()),
            redirect_uris=tuple(str(u) for u in entry.get("redirect_uris") or ()),
            secret_sha256=str(entry.get("secret_sha256", "") or "").lower(),
        )
        if not client.id or client.id in clients:
            raise DirectoryError(f"{where}: id must be present and unique ({client.id!r})")
        unknown = set(client.grants) - set(GRANTS)
        if unknown or not client.grants:
            raise DirectoryError(f"{where}: grants must be among {', '.join(GRANTS)}")
        if "client_credentials" in client.grants and not client.confidential:
            raise DirectoryError(f"{where}: client_credentials needs secret_sha256")
        if "authorization_code" in client.grants and not client.redirect_uris:
            raise DirectoryError(f"{where}: authorization_code needs redirect_uris")
        clients[client.id] = client
    return clients


def _read(path: Path) -> dict:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as err:
        raise DirectoryError(f"{path}: cannot read: {err.strerror}") from err
    except yaml.YAMLError as err:
        raise DirectoryError(f"{path}: not YAML: {err}") from err
    if not isinstance(doc, dict):
        raise DirectoryError(f"{path}: expected a mapping at the top")
    return doc


def sha256_hex(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
