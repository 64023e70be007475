"""The issuer's HTTP endpoints (OpenID Connect Discovery, JWKS, authorization code with PKCE,
token endpoint), as a Starlette app.

- GET  /.well-known/openid-configuration   discovery
- GET  /jwks                                the public signing keys
- GET  /authorize                           the login page (code flow; PKCE S256 required)
- POST /authorize                           the login form: a code back to the redirect URI
- POST /token                               authorization_code, client_credentials, password
- GET  /userinfo                            the signed-in person's claims (bearer access token)

Tokens: access tokens for the services (aud = the configured audience) and, in the code flow,
an ID token for the client (aud = client id, with the nonce). Codes live in memory for
CODE_TTL_SECONDS and are good once: run one replica.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from services.issuer.directory import Client, Person
from services.issuer.keys import SigningKey

CODE_TTL_SECONDS = 60
MAX_FIELD_CHARS = 2048  # any form or query value longer than this is refused
MAX_FORM_FIELDS = 16
SERVICE_ROLE = "service"


@dataclass(frozen=True)
class IssuerConfig:
    issuer: str  # the `iss` of every token and the base of every endpoint URL
    audience: str  # the `aud` of access tokens: the services
    access_ttl_seconds: int = 8 * 3600
    service_ttl_seconds: int = 600


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    sub: str
    challenge: str
    nonce: str
    expires: float


@dataclass
class Issuer:
    config: IssuerConfig
    key: SigningKey
    people: dict[str, Person]
    clients: dict[str, Client]
    _codes: dict[str, _Code] = field(default_factory=dict)

    # -- tokens ---------------------------------------------------------------------------

    def access_token(self, subject_claims: dict[str, str], client_id: str, ttl: int) -> str:
        now = int(time.time())
        return self.key.sign(
            {
                **subject_claims,
                "iss": self.config.issuer,
                "aud": self.config.audience,
                "iat": now,
                "nbf": now,
                "exp": now + ttl,
                "jti": uuid.uuid4().hex,
                "client_id": client_id,
            }
        )

    def id_token(self, person: Person, client_id: str, nonce: str) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            **person.claims(),
            "iss": self.config.issuer,
            "aud": client_id,
            "iat": now,
            "exp": now + self.config.access_ttl_seconds,
            "auth_time": now,
        }
        if nonce:
            claims["nonce"] = nonce
        return self.key.sign(claims)

    def person_tokens(self, person: Person, client_id: str, nonce: str | None) -> dict[str, Any]:
        ttl = self.config.access_ttl_seconds
        out: dict[str, Any] = {
            "access_token": self.access_token(person.claims(), client_id, ttl),
            "token_type": "Bearer",
            "expires_in": ttl,
        }
        if nonce is not None:
            out["id_token"] = self.id_token(person, client_id, nonce)
            out["scope"] = "openid profile"
        return out

    def authenticate_person(self, username: str, password: str) -> Person | None:
        person = self.people.get(username)
        # Compare even for an unknown name, so timing does not tell which names exist.
        expected = person.password if person else secrets.token_urlsafe(16)
        ok = hmac.compare_digest(password.encode(), expected.encode())
        return person if ok and person else None

    # -- codes ----------------------------------------------------------------------------

    def new_code(self, client: Client, redirect_uri: str, sub: str, challenge: str, nonce: str):
        now = time.monotonic()
        for stale in [c for c, v in self._codes.items() if v.expires < now]:
            del self._codes[stale]
        code = secrets.token_urlsafe(32)
        self._codes[code] = _Code(
            client.id, redirect_uri, sub, challenge, nonce, now + CODE_TTL_SECONDS
        )
        return code

    def take_code(self, code: str) -> _Code | None:
        found = self._codes.pop(code, None)  # good once, whatever happens next
        if found is None or found.expires < time.monotonic():
            return None
        return found


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status

    def response(self) -> JSONResponse:
        headers = {"Cache-Control": "no-store"}
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="oneassess"'
        return JSONResponse(
            {"error": self.error, "error_description": self.description},
            status_code=self.status,
            headers=headers,
        )


def s256(verifier: str) -> str:
    """PKCE (RFC 7636): BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def create_app(issuer: Issuer) -> Starlette:
    base = issuer.config.issuer.rstrip("/")

    async def discovery(request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": issuer.config.issuer,
                "authorization_endpoint": f"{base}/authorize",
                "token_endpoint": f"{base}/token",
                "userinfo_endpoint": f"{base}/userinfo",
                "jwks_uri": f"{base}/jwks",
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code", "client_credentials", "password"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": [issuer.key.algorithm],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                    "none",
                ],
                "code_challenge_methods_supported": ["S256"],
                "scopes_supported": ["openid", "profile"],
                "claims_supported": ["sub", "name", "role", "unit", "department"],
            }
        )

    async def jwks(request: Request) -> Response:
        return JSONResponse(
            {"keys": [issuer.key.public_jwk()]}, headers={"Cache-Control": "max-age=300"}
        )

    async def authorize(request: Request) -> Response:
        try:
            if request.method == "GET":
                params = _bounded(dict(request.query_params))
            else:
                params = await _form(request)
            client, redirect_uri = _code_client(issuer, params)
        except OAuthError as err:  # never redirect to an unregistered URI: say it here
            return HTMLResponse(
                _page(f"登录请求无效：{html.escape(err.description)}"),
                status_code=err.status,
                headers=PAGE_HEADERS,
            )
        state = params.get("state", "")

        def back(**values: str) -> Response:
            query = urlencode({**values, **({"state": state} if state else {})})
            sep = "&" if "?" in redirect_uri else "?"
            return RedirectResponse(f"{redirect_uri}{sep}{query}", status_code=303)

        if params.get("response_type") != "code":
            return back(error="unsupported_response_type", error_description="use code")
        if "openid" not in params.get("scope", "").split():
            return back(error="invalid_scope", error_description="scope must include openid")
        challenge = params.get("code_challenge", "")
        if params.get("code_challenge_method") != "S256" or not (43 <= len(challenge) <= 128):
            return back(error="invalid_request", error_description="PKCE S256 is required")
        if request.method == "GET":
            return HTMLResponse(_login_form(params, ""), headers=_login_headers(redirect_uri))
        person = issuer.authenticate_person(params.get("username", ""), params.get("password", ""))
        if person is None:
            return HTMLResponse(
                _login_form(params, "用户名或密码错误"),
                status_code=401,
                headers=_login_headers(redirect_uri),
            )
        code = issuer.new_code(client, redirect_uri, person.sub, challenge, params.get("nonce", ""))
        return back(code=code, iss=issuer.config.issuer)

    async def token(request: Request) -> Response:
        try:
            form = await _form(request)
            client = _token_client(issuer, request, form)
            grant = form.get("grant_type", "")
            if grant not in client.grants:
                raise OAuthError(
                    "unauthorized_client", f"client {client.id!r} may not use grant {grant!r}"
                )
            body = _grant(issuer, client, grant, form)
        except OAuthError as err:
            return err.response()
        return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    async def userinfo(request: Request) -> Response:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        try:
            if scheme.lower() != "bearer" or not value:
                raise jwt.InvalidTokenError("no bearer token")
            claims = jwt.decode(
                value.strip(),
                issuer.key.private.public_key(),
                algorithms=[issuer.key.algorithm],
                audience=issuer.config.audience,
                issuer=issuer.config.issuer,
            )
        except jwt.InvalidTokenError:
            return JSONResponse(
                {"error": "invalid_token"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        keep = ("sub", "name", "role", "unit", "department")
        return JSONResponse({k: claims[k] for k in keep if k in claims})

    return Starlette(
        routes=[
            Route("/.well-known/openid-configuration", discovery),
            Route("/jwks", jwks),
            Route("/authorize", authorize, methods=["GET", "POST"]),
            Route("/token", token, methods=["POST"]),
            Route("/userinfo", userinfo),
        ]
    )


def _bounded(values: dict[str, Any]) -> dict[str, str]:
    if len(values) > MAX_FORM_FIELDS:
        raise OAuthError("invalid_request", "too many parameters")
    out = {}
    for k, v in values.items():
        if not isinstance(v, str) or len(v) > MAX_FIELD_CHARS or len(k) > 64:
            raise OAuthError("invalid_request", f"parameter {k[:64]!r} is too long or not text")
        out[k] = v
    return out


async def _form(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if content_type != "application/x-www-form-urlencoded":
        raise OAuthError("invalid_request", "send application/x-www-form-urlencoded")
    if int(request.headers.get("content-length") or 0) > MAX_FORM_FIELDS * MAX_FIELD_CHARS:
        raise OAuthError("invalid_request", "request body too large")
    async with request.form(max_fields=MAX_FORM_FIELDS, max_files=0) as form:
        return _bounded(dict(form))


def _code_client(issuer: Issuer, params: dict[str, str]) -> tuple[Client, str]:
    client = issuer.clients.get(params.get("client_id", ""))
    if client is None or "authorization_code" not in client.grants:
        raise OAuthError("unauthorized_client", "unknown client_id")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in client.redirect_uris:  # exact match with a registered URI only
        raise OAuthError("invalid_request", "redirect_uri is not registered for this client")
    return client, redirect_uri


def _token_client(issuer: Issuer, request: Request, form: dict[str, str]) -> Client:
    """The calling client: HTTP Basic or client_secret_post for a confidential client,
    client_id alone for a public one."""
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            raw = base64.b64decode(value.strip(), validate=True).decode()
        except (ValueError, UnicodeDecodeError) as err:
            raise OAuthError("invalid_client", "malformed Basic credentials", 401) from err
        from urllib.parse import unquote

        basic_id, _, basic_secret = raw.partition(":")
        client_id, secret = unquote(basic_id), unquote(basic_secret)
    client = issuer.clients.get(client_id)
    if client is None:
        raise OAuthError("invalid_client", "unknown client", 401)
    if client.confidential and not client.secret_matches(secret):
        raise OAuthError("invalid_client", "client authentication failed", 401)
    return client


def _grant(issuer: Issuer, client: Client, grant: str, form: dict[str, str]) -> dict[str, Any]:
    if grant == "client_credentials":
        ttl = issuer.config.service_ttl_seconds
        claims = {"sub": client.id, "name": f"service {client.id}", "role": SERVICE_ROLE}
        return {
            "access_token": issuer.access_token(claims, client.id, ttl),
            "token_type": "Bearer",
            "expires_in": ttl,
        }
    if grant == "password":
        person = issuer.authenticate_person(form.get("username", ""), form.get("password", ""))
        if person is None:
            raise OAuthError("invalid_grant", "wrong username or password")
        return issuer.person_tokens(person, client.id, None)
    # authorization_code
    found = issuer.take_code(form.get("code", ""))
    if found is None or found.client_id != client.id:
        raise OAuthError("invalid_grant", "unknown, used or expired code")
    if form.get("redirect_uri", "") != found.redirect_uri:
        raise OAuthError("invalid_grant", "redirect_uri differs from the authorization request")
    verifier = form.get("code_verifier", "")
    if not (43 <= len(verifier) <= 128) or not hmac.compare_digest(s256(verifier), found.challenge):
        raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
    person = issuer.people.get(found.sub)
    if person is None:
        raise OAuthError("invalid_grant", "the person is no longer known")
    return issuer.person_tokens(person, client.id, found.nonce)


# The login page may not be framed (clickjacking) nor cached; it runs no script.
PAGE_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}


def _login_headers(redirect_uri: str) -> dict[str, str]:
    """The login form posts here and is then redirected to the client's (registered, already
    checked) redirect URI: browsers apply form-action to that redirect too, so its origin is
    allowed next to 'self', and nothing else."""
    parts = urlsplit(redirect_uri)
    origin = f"{parts.scheme}://{parts.netloc}"
    csp = PAGE_HEADERS["Content-Security-Policy"].replace(
        "form-action 'self'", f"form-action 'self' {origin}"
    )
    return {**PAGE_HEADERS, "Content-Security-Policy": csp}


def _page(body: str) -> str:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        "<title>OneAssess 登录</title></head><body>" + body + "</body></html>"
    )


def _login_form(params: dict[str, str], error: str) -> str:
    keep = ("client_id", "redirect_uri", "response_type", "scope", "state", "nonce")
    hidden = "".join(
        f'<input type="hidden" name="{k}" value="{html.escape(params[k])}">'
        for k in (*keep, "code_challenge", "code_challenge_method")
        if k in params
    )
    message = f'<p role="alert">{html.escape(error)}</p>' if error else ""
    return _page(
        "<h1>一次考核 · 登录</h1>"
        + message
        + '<form method="post" action="authorize">'
        + hidden
        + '<label>用户名 <input name="username" autocomplete="username" required></label><br>'
        + '<label>密码 <input name="password" type="password" autocomplete="current-password"'
        + " required></label><br>"
        + '<button type="submit">登录</button></form>'
    )


def build(settings) -> Issuer:
    """The issuer of these settings (oneassess.config.Settings): its key (made on first
    start), its people and its clients."""
    from services.issuer.directory import load_clients, load_people
    from services.issuer.keys import load_or_create

    return Issuer(
        IssuerConfig(
            issuer=settings.issuer,
            audience=settings.audience,
            access_ttl_seconds=settings.token_ttl_seconds,
        ),
        load_or_create(settings.issuer_key_path),
        load_people(settings.people_file),
        load_clients(settings.issuer_clients_path),
    )
