"""The local stack's OAuth clients, registered with its issuer at every `oneassess up`: one per
service and the worker (client_credentials, each with its own fresh secret), the CLI
(password grant: `oneassess login`), the portal (authorization code + PKCE, confidential).

The issuer's clients file keeps only each secret's SHA-256; the secret itself goes to its
process alone, in that process's environment.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

import yaml

from oneassess.client.tokens import write_private

SERVICE_CLIENTS = ("indicators", "submissions", "scoring", "worker")
CLI_CLIENT = "cli"
PORTAL_CLIENT = "portal"


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def local_clients(path: Path, portal_redirect_uris: list[str]) -> dict[str, str]:
    """Write the clients file with fresh secrets (0600 from the start); return each
    confidential client's secret, by client id (= the process name that uses it)."""
    issued = {name: secrets.token_urlsafe(32) for name in (*SERVICE_CLIENTS, PORTAL_CLIENT)}
    entries: list[dict] = [
        {"id": name, "grants": ["client_credentials"], "secret_sha256": _sha256(issued[name])}
        for name in SERVICE_CLIENTS
    ]
    entries.append({"id": CLI_CLIENT, "grants": ["password"]})
    entries.append(
        {
            "id": PORTAL_CLIENT,
            "grants": ["authorization_code"],
            "redirect_uris": [uri.strip() for uri in portal_redirect_uris if uri.strip()],
            "secret_sha256": _sha256(issued[PORTAL_CLIENT]),
        }
    )
    write_private(path, yaml.safe_dump({"clients": entries}, sort_keys=False))
    return issued
