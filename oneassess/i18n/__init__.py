"""One set of message catalogues for every text people read: the portal's pages, the HTML
results report and the reminder digests. Source strings are English; Simplified Chinese is the
default language. The .po sources and the compiled .mo files are both committed; `python -m
oneassess.i18n check` (in `make check`) fails when they are out of sync or when any message of
the code or templates has no zh_CN translation; `python -m oneassess.i18n update` re-extracts
and recompiles.
"""

from __future__ import annotations

import gettext
from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date as _babel_format_date
from babel.dates import format_datetime as _babel_format_datetime

DOMAIN = "oneassess"
DEFAULT_LOCALE = "zh_CN"
LOCALES = ("zh_CN", "en")
DEFAULT_TIMEZONE = "Asia/Shanghai"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


def normalise(locale: str | None) -> str:
    """A supported locale for what a person or a browser asked for; zh_CN when unsure."""
    value = (locale or "").replace("-", "_").strip()
    for known in LOCALES:
        if value.lower() == known.lower() or value.lower().split("_")[0] == known.lower()[:2]:
            return known
    return DEFAULT_LOCALE


@cache
def translations(locale: str = DEFAULT_LOCALE) -> gettext.NullTranslations:
    """The catalogue of a locale (English is the source language: its catalogue is empty)."""
    locale = normalise(locale)
    if locale == "en":
        return gettext.NullTranslations()
    with (LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as f:
        return gettext.GNUTranslations(f)


def gettext_for(locale: str = DEFAULT_LOCALE):
    return translations(locale).gettext


def format_datetime(
    value: datetime | None, locale: str = DEFAULT_LOCALE, timezone: str = DEFAULT_TIMEZONE
) -> str:
    """A moment in the cycle's time zone, in the locale's medium format (2026年12月31日 18:00)."""
    if value is None:
        return ""
    tz = ZoneInfo(timezone or DEFAULT_TIMEZONE)
    pattern = "yyyy年M月d日 HH:mm" if normalise(locale) == "zh_CN" else "yyyy-MM-dd HH:mm"
    return _babel_format_datetime(value, pattern, tzinfo=tz, locale=normalise(locale))


def format_date(value: date | None, locale: str = DEFAULT_LOCALE) -> str:
    if value is None:
        return ""
    pattern = "yyyy年M月d日" if normalise(locale) == "zh_CN" else "yyyy-MM-dd"
    return _babel_format_date(value, pattern, locale=normalise(locale))
