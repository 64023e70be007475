"""`oneassess login / logout / whoami`: sign in at the OIDC issuer as a person.

The token is kept in ONEASSESS_HOME/tokens/ (0600) and used by every later command until it
expires. On the local stack `oneassess login --as unit:baiquan-town` signs in as the sample
person of that role and scope (examples/haizhou-2026/people.yaml).
"""

from __future__ import annotations

import typer

from cli.common import Refused, acting, console, fail, login_as, print_json, settings
from oneassess.client.tokens import TokenCache, TokenError, password_login

app = typer.Typer()  # its commands sit at the top: `oneassess login`, `oneassess whoami`...


def _shown(access_token: str) -> dict[str, str]:
    """The token's claims, for display only (the services verify it; the CLI does not)."""
    import jwt  # here: PyJWT loads cryptography, which no other command needs

    claims = jwt.decode(access_token, options={"verify_signature": False})
    keep = ("sub", "name", "role", "unit", "department", "exp")
    return {k: str(claims[k]) for k in keep if k in claims}


def _describe(claims: dict[str, str]) -> str:
    scope = claims.get("unit") or claims.get("department")
    role = f"{claims.get('role', '?')}{':' + scope if scope else ''}"
    return f"{claims.get('name', '')} ({claims.get('sub', '?')}, {role})"


@app.command("login")
def login(
    person: str = typer.Argument("", help="Your person id (sub), e.g. wang.haiyan."),
    password: str = typer.Option(
        "", "--password", help="Your password (prompted for when left out)."
    ),
) -> None:
    """Sign in at the identity provider; later commands act as you.

    Example: oneassess login wang.haiyan      (or, on the local stack: oneassess login --as admin)
    """
    cfg = settings()
    if acting.explicit:
        if person:
            fail("give a person id or --as, not both")
        try:
            token = login_as(cfg, acting.value, current=True)
        except (Refused, ValueError) as err:
            fail(str(err))
    else:
        if not person:
            fail("who? oneassess login PERSON (or --as ROLE on the local stack)")
        secret = password or typer.prompt("password", hide_input=True)
        try:
            token = password_login(cfg, person, secret)
        except TokenError as err:
            fail(str(err))
        TokenCache(cfg.home).put(token, current=True)
    console.print(f"signed in as {_describe(_shown(token.access_token))}", highlight=False)


@app.command("logout")
def logout() -> None:
    """Forget every token this machine keeps for you.

    Example: oneassess logout
    """
    gone = TokenCache(settings().home).clear()
    console.print(f"signed out ({', '.join(gone)})" if gone else "nobody was signed in")


@app.command("whoami")
def whoami(json_output: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Who later commands act as: the signed-in person and their role and scope.

    Example: oneassess whoami
    """
    cfg = settings()
    cache = TokenCache(cfg.home)
    current = cache.current()
    token = cache.get(current) if current else None
    if token is None:
        why = f"the sign-in of {current} has expired" if current else "not signed in"
        fail(f"{why}: oneassess login")
    claims = _shown(token.access_token)
    if json_output:
        print_json(claims)
    else:
        console.print(_describe(claims), highlight=False)
