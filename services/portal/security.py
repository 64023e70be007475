"""CSRF protection for every state-changing request, security headers, and the role guard.

Every POST carries the session's CSRF token: in the `csrf` field of a url-encoded form
(checked here before the page sees the body), or in the X-CSRF-Token header (the streamed
upload and other scripted requests), or, for a multipart form, in the form's action query.
A cross-site Origin is refused outright.
"""

from __future__ import annotations

import hmac
import secrets
from functools import wraps
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse

from services.portal.signin import Person

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_FORM_BYTES = 256 * 1024
HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; frame-ancestors 'self'; "
        b"form-action 'self'; base-uri 'none'; object-src 'self'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"SAMEORIGIN"),
]


def csrf_token(session: dict) -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _same(a: str, b: str) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


class CsrfMiddleware:
    """Pure ASGI (it must not buffer a streamed upload): runs inside the session middleware."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                existing = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in HEADERS if k not in existing
                ]
            await send(message)

        if scope["method"] in SAFE_METHODS:
            return await self.app(scope, receive, send_with_headers)
        request = Request(scope)
        expected = scope.get("session", {}).get("csrf", "")
        origin = request.headers.get("origin")
        host = request.headers.get("host", "")
        if origin and origin.split("://", 1)[-1] != host:
            return await _refuse(scope, receive, send_with_headers)
        given = request.headers.get("x-csrf-token") or request.query_params.get("csrf", "")
        if given:
            if not _same(given, expected):
                return await _refuse(scope, receive, send_with_headers)
            return await self.app(scope, receive, send_with_headers)
        content_type = request.headers.get("content-type", "")
        if not content_type.startswith("application/x-www-form-urlencoded"):
            return await _refuse(scope, receive, send_with_headers)
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_FORM_BYTES:
                return await PlainTextResponse("", status_code=413)(scope, receive, send)
        fields = parse_qs(body.decode("utf-8", "replace"))
        if not _same((fields.get("csrf") or [""])[0], expected):
            return await _refuse(scope, receive, send_with_headers)
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        return await self.app(scope, replay, send_with_headers)


async def _refuse(scope, receive, send) -> None:
    await PlainTextResponse("CSRF", status_code=403)(scope, receive, send)


def person_of(request: Request) -> Person | None:
    return Person.from_session(request.session.get("person"))


def requires(*roles: str):
    """The page is for these roles only: signed out -> the sign-in page; another role -> 403."""

    def wrap(endpoint):
        @wraps(endpoint)
        async def guarded(request: Request):
            person = person_of(request)
            if person is None:
                return RedirectResponse(f"/signin?next={request.url.path}", status_code=303)
            if person.role not in roles:
                from services.portal.render import forbidden

                return forbidden(request)
            request.state.person = person
            return await endpoint(request)

        return guarded

    return wrap
