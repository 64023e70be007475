"""The `oneassess` command line: one module per command group, each a typer app added here.

People sign in with `oneassess login` (the token is kept in ONEASSESS_HOME/tokens).
`--as admin|auditor|unit:CODE|assessor:DEPT` (anywhere on the line) is the local stack's
shortcut: it signs in as the sample person of that role and scope. Against any other
endpoint, sign in or set ONEASSESS_TOKEN.
"""

from __future__ import annotations

import sys

import typer

from cli import (
    appeals,
    asks,
    audit,
    catalog,
    claims,
    common,
    cycle,
    delegation,
    demo,
    evidence,
    extension,
    login,
    report,
    reviews,
    scores,
    stack,
    submit,
    units,
)

app = typer.Typer(
    name="oneassess",
    help="OneAssess: one year-end assessment for a whole city (一次考核).",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)

# `oneassess GROUP COMMAND ...`
GROUPS = {
    "catalog": catalog.app,
    "units": units.app,
    "cycle": cycle.app,
    "evidence": evidence.app,
    "extension": extension.app,
    "reviews": reviews.app,
    "claims": claims.app,
    "appeals": appeals.app,
    "audit": audit.app,
    "delegation": delegation.app,
}
# `oneassess COMMAND ...`: groups whose commands sit at the top of the line.
TOP_LEVEL = (stack.app, login.app, asks.app, submit.app, scores.app, report.app, demo.app)

for name, group in GROUPS.items():
    app.add_typer(group, name=name)
for group in TOP_LEVEL:
    app.add_typer(group)


def _take_as_option(argv: list[str]) -> list[str]:
    """Pull `--as VALUE` / `--as=VALUE` from anywhere on the line."""
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--as" and i + 1 < len(argv):
            common.acting.value = argv[i + 1]
            common.acting.explicit = True
            i += 2
            continue
        if arg.startswith("--as="):
            common.acting.value = arg.split("=", 1)[1]
            common.acting.explicit = True
        else:
            rest.append(arg)
        i += 1
    return rest


def main() -> None:
    args = _take_as_option(sys.argv[1:])
    app(args=args, prog_name="oneassess")


if __name__ == "__main__":
    main()
