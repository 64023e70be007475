"""`python -m oneassess.i18n update|check`: extract every message from the code and templates
that people read, merge into the .po sources, compile the .mo files; `check` changes nothing
and fails on a missing translation or a .mo out of sync with its .po."""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from oneassess.i18n import DOMAIN, LOCALE_DIR, LOCALES

REPO = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
# Where the texts people read live (paths, not imports: this package imports nothing else).
SOURCES = {
    "services/portal": [
        ("**.py", "python"),
        ("**/templates/**.html", "jinja2"),
    ],
}
FILES = [
    "oneassess/client/report.py",
    "workflows/activities/notifications.py",
    "workflows/notify.py",
]
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trimmed": "true"}


def extract() -> Catalog:
    catalog = Catalog(domain=DOMAIN, project="OneAssess")
    for folder, method_map in SOURCES.items():
        root = REPO / folder
        if not root.exists():
            continue
        options = {pattern: JINJA_OPTIONS for pattern, method in method_map if method == "jinja2"}
        for filename, lineno, message, _comments, context in extract_from_dir(
            root, method_map, options, keywords=KEYWORDS
        ):
            catalog.add(message, None, [(f"{folder}/{filename}", lineno)], context=context)
    for path in FILES:
        if not (REPO / path).exists():
            continue
        for lineno, message, _comments, context in extract_from_file(
            "python", REPO / path, keywords=KEYWORDS
        ):
            catalog.add(message, None, [(path, lineno)], context=context)
    return catalog


def _po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def _read(locale: str) -> Catalog:
    path = _po_path(locale)
    if not path.exists():
        return Catalog(locale=locale, domain=DOMAIN)
    with path.open("rb") as f:
        return read_po(f, locale=locale, domain=DOMAIN)


def _mo_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def missing(locale: str) -> list[str]:
    """Messages of the code and templates without a translation in `locale`'s .po."""
    catalog = _read(locale)
    out = []
    for message in extract():
        if not message.id:
            continue
        known = catalog.get(message.id, context=message.context)
        if (
            known is None
            or not known.string
            or (isinstance(known.string, tuple) and not all(known.string))
        ):
            out.append(message.id if isinstance(message.id, str) else message.id[0])
    return out


def update() -> None:
    template = extract()
    for locale in LOCALES:
        if locale == "en":  # the source language
            continue
        catalog = _read(locale)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        path = _po_path(locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            write_po(f, catalog, width=100, omit_header=False, sort_output=True)
        path.with_suffix(".mo").write_bytes(_mo_bytes(_read(locale)))


def check() -> int:
    problems = []
    for locale in LOCALES:
        if locale == "en":
            continue
        problems += [f"{locale}: no translation for {m!r}" for m in missing(locale)]
        mo = _po_path(locale).with_suffix(".mo")
        if not mo.exists() or mo.read_bytes() != _mo_bytes(_read(locale)):
            problems.append(
                f"{locale}: {mo} is out of sync with its .po (python -m oneassess.i18n update)"
            )
    for problem in problems:
        print(problem)
    if not problems:
        print("message catalogues complete and compiled")
    return 1 if problems else 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "update":
        update()
    else:
        sys.exit(check())
