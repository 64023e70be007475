"""Pages from templates: one Jinja environment whose gettext follows the request's language,
dates in the cycle's time zone, and error pages for refused or failed calls."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import grpc
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from oneassess import i18n
from services.portal.i18n import N_, _, current_locale, ngettext
from services.portal.security import csrf_token, person_of

TEMPLATES = Path(__file__).resolve().parent / "templates"

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
env.install_gettext_callables(_, ngettext, newstyle=True)
env.policies["ext.i18n.trimmed"] = True


def when(ts, timezone: str = i18n.DEFAULT_TIMEZONE) -> str:
    """A protobuf Timestamp (or datetime) as the reader's locale writes it, in the cycle's zone."""
    if ts is None:
        return ""
    if hasattr(ts, "seconds"):
        if not ts.seconds and not ts.nanos:
            return ""
        ts = datetime.fromtimestamp(ts.seconds + ts.nanos / 1e9, UTC)
    return i18n.format_datetime(ts, current_locale.get(), timezone)


def iso_when(value: str, timezone: str = i18n.DEFAULT_TIMEZONE) -> str:
    """An ISO 8601 moment (as the cycle-control RPCs send them) as the reader's locale writes it."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return i18n.format_datetime(moment, current_locale.get(), timezone)


def as_datetime(ts) -> datetime | None:
    if ts is None or (not ts.seconds and not ts.nanos):
        return None
    return datetime.fromtimestamp(ts.seconds + ts.nanos / 1e9, UTC)


def countdown(ts) -> str:
    """Time left until a deadline, in words ("剩余 3 天 4 小时"), or how long it is overdue."""
    moment = as_datetime(ts)
    if moment is None:
        return ""
    seconds = int((moment - datetime.now(UTC)).total_seconds())
    days, rest = divmod(abs(seconds), 86400)
    hours = rest // 3600
    if seconds >= 0:
        return _("%(days)s days %(hours)s hours left") % {"days": days, "hours": hours}
    return _("overdue by %(days)s days %(hours)s hours") % {"days": days, "hours": hours}


env.filters["when"] = when
env.filters["iso_when"] = iso_when
env.globals["countdown"] = countdown


ROLE_LABELS = {
    "unit": N_("Assessed unit"),
    "assessor": N_("Line department"),
    "admin": N_("Assessment office"),
    "auditor": N_("Auditor"),
}


def page(request: Request, template: str, status_code: int = 200, **context) -> HTMLResponse:
    locale = current_locale.get()
    body = env.get_template(template).render(
        request=request,
        person=person_of(request),
        csrf=csrf_token(request.session),
        locale=locale,
        html_lang="zh-CN" if locale == "zh_CN" else "en",
        path=request.url.path,
        role_names={role: _(label) for role, label in ROLE_LABELS.items()},
        **context,
    )
    return HTMLResponse(body, status_code=status_code)


def forbidden(request: Request) -> HTMLResponse:
    return page(
        request,
        "error.html",
        403,
        title=_("Not your page"),
        detail=_("This page belongs to another role or another unit."),
    )


def not_found(request: Request) -> HTMLResponse:
    return page(
        request,
        "error.html",
        404,
        title=_("Not found"),
        detail=_("There is nothing here, or it is not yours to see."),
    )


STATUS = {
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ALREADY_EXISTS: 409,
}


def rpc_failed(request: Request, err: grpc.RpcError) -> HTMLResponse:
    code = STATUS.get(err.code(), 502)
    titles = {
        403: _("Not your page"),
        401: _("Please sign in again"),
        404: _("Not found"),
        400: _("The service refused the request"),
        409: _("Not possible at this stage of the cycle"),
        502: _("A service is not answering; try again shortly"),
    }
    return page(request, "error.html", code, title=titles[code], detail=err.details() or "")
