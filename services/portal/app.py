"""The portal's ASGI app: sessions, CSRF, language, sign-in and the pages of each role."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

import grpc
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from oneassess.config import Settings
from services.portal import i18n as portal_i18n
from services.portal.pages import Context, audit, office, review, unit
from services.portal.render import page, rpc_failed
from services.portal.rpc import Catalogues, clients_for, current_scope, current_token
from services.portal.security import CsrfMiddleware, csrf_token, person_of
from services.portal.signin import (
    SESSION_TTL_SECONDS,
    OidcSignIn,
    Person,
    SignIn,
    SignInFailed,
)

STATIC = Path(__file__).resolve().parent / "static"
SESSION_COOKIE = "oneassess_portal"
HOME_OF_ROLE = {"unit": "/unit", "assessor": "/review", "admin": "/office", "auditor": "/audit"}


def session_secret(settings: Settings) -> str:
    """PORTAL_SESSION_SECRET, else one generated once into the data directory."""
    if settings.portal_session_secret:
        return settings.portal_session_secret
    path = settings.home / "portal-session-secret"
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(secrets.token_urlsafe(48))
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_text().strip()


def safe_next(target: str) -> str:
    """Only a path of this site: never an open redirect."""
    return target if target.startswith("/") and not target.startswith("//") else ""


class RequestContext:
    """Pure ASGI: sets the request's language and the person's token for the gRPC calls, and
    remembers a language chosen with ?lang= in a cookie."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope)
        locale = portal_i18n.locale_of(request)
        portal_i18n.current_locale.set(locale)
        session = scope.get("session", {})
        current_token.set(session.get("token", ""))
        person = Person.from_session(session.get("person"))
        current_scope.set(f"{person.role}:{person.unit}:{person.department}" if person else "")
        chosen = request.query_params.get("lang")

        async def send_with_cookie(message):
            if chosen and message["type"] == "http.response.start":
                cookie = (
                    f"{portal_i18n.LANG_COOKIE}={locale}; Path=/; Max-Age=31536000; SameSite=Lax"
                )
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie.encode())]
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def create_app(settings: Settings, *, signin: SignIn | None = None) -> Starlette:
    signin = signin or OidcSignIn(settings)
    clients = clients_for(settings)
    catalogues = Catalogues(clients)
    ctx = Context(settings=settings, clients=clients, catalogues=catalogues)

    async def home(request: Request):
        person = person_of(request)
        if person is None:
            return RedirectResponse("/signin", status_code=303)
        return RedirectResponse(HOME_OF_ROLE.get(person.role, "/signin"), status_code=303)

    async def signin_page(request: Request):
        """One button: sign in at the city's identity provider (the local issuer here)."""
        return page(request, "signin.html", next=safe_next(request.query_params.get("next", "")))

    async def login(request: Request):
        request.session["next"] = safe_next(request.query_params.get("next", ""))
        return await signin.begin(request)

    async def callback(request: Request):
        try:
            person, token = await signin.finish(request)
        except SignInFailed:
            return page(request, "signin.html", 401, next="", failed=True)
        target = request.session.get("next") or HOME_OF_ROLE[person.role]
        request.session.clear()  # a new session for the signed-in person
        request.session["person"] = person.to_session()
        request.session["token"] = token
        csrf_token(request.session)
        return RedirectResponse(target, status_code=303)

    async def signout(request: Request):
        request.session.clear()
        return RedirectResponse("/signin", status_code=303)

    async def healthz(request: Request):
        return Response("ok", media_type="text/plain")

    async def on_rpc_error(request: Request, err: Exception):
        assert isinstance(err, grpc.RpcError)
        if err.code() == grpc.StatusCode.UNAUTHENTICATED:  # the token expired: sign in again
            request.session.clear()
            return RedirectResponse(f"/signin?next={request.url.path}", status_code=303)
        return rpc_failed(request, err)

    routes = [
        Route("/", home),
        Route("/signin", signin_page),
        Route("/auth/login", login),
        Route("/auth/callback", callback),
        Route("/signout", signout, methods=["POST"]),
        Route("/healthz", healthz),
        *unit.routes(ctx),
        *review.routes(ctx),
        *office.routes(ctx),
        *audit.routes(ctx),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    middleware = [
        Middleware(
            SessionMiddleware,
            secret_key=session_secret(settings),
            session_cookie=SESSION_COOKIE,
            max_age=SESSION_TTL_SECONDS,
            same_site="lax",
            https_only=settings.portal_secure_cookie,
        ),
        Middleware(CsrfMiddleware),
        Middleware(RequestContext),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        await clients.close()

    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={grpc.RpcError: on_rpc_error},
        lifespan=lifespan,
    )
    app.state.clients = clients
    return app
