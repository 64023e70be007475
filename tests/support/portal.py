"""Signing in to the portal as a browser does, for the portal tests and bench_portal.py."""

from __future__ import annotations

import html
import re
from dataclasses import replace

import httpx
import yaml

from tests.conftest import EXAMPLE, test_issuer


def password_of(subject: str) -> str:
    """A sample person's password (examples/haizhou-2026/people.yaml)."""
    people = yaml.safe_load((EXAMPLE / "people.yaml").read_text(encoding="utf-8"))["people"]
    return next(p["password"] for p in people if p["sub"] == subject)


def register_callback(callback: str) -> None:
    """Let the test issuer send people back to a portal on this redirect URI."""
    issuer = test_issuer().issuer
    client = issuer.clients["portal"]
    if callback not in client.redirect_uris:
        issuer.clients["portal"] = replace(client, redirect_uris=(*client.redirect_uris, callback))


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


async def sign_in(client: httpx.AsyncClient, subject: str) -> httpx.Response:
    """The portal sends us to the issuer's login page, its form posts the person's credentials,
    the issuer sends us back with a code; returns the portal's answer to that."""
    to_issuer = await client.get("/auth/login")
    assert to_issuer.status_code in (302, 303), to_issuer.text
    async with httpx.AsyncClient() as idp:
        form_page = await idp.get(to_issuer.headers["location"])
        assert form_page.status_code == 200, form_page.text
        hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form_page.text)
        fields = {k: html.unescape(v) for k, v in hidden}
        back = await idp.post(
            str(form_page.url).split("?")[0],
            data={**fields, "username": subject, "password": password_of(subject)},
        )
    assert back.status_code == 303, back.text
    done = await client.get(back.headers["location"])
    assert done.status_code == 303 and "/signin" not in done.headers["location"], done.text
    return done
