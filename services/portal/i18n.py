"""The request's language: a contextvar the templates' gettext and the code's `_` read, so
one shared Jinja environment serves Chinese and English at once."""

from __future__ import annotations

from contextvars import ContextVar

from oneassess import i18n

current_locale: ContextVar[str] = ContextVar("portal_locale", default=i18n.DEFAULT_LOCALE)
LANG_COOKIE = "oneassess_lang"


def _(message: str) -> str:
    return i18n.translations(current_locale.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return i18n.translations(current_locale.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a message for extraction; `_` translates it where it is shown."""
    return message


def locale_of(request) -> str:
    """?lang= (a link on every page), else the cookie, else zh_CN: Chinese first."""
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return i18n.normalise(asked) if asked else i18n.DEFAULT_LOCALE
