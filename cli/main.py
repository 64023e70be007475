"""The `oneassess` command line: one command per thing a role does.

`--as admin|auditor|unit:CODE|assessor:DEPT` (anywhere on the line) picks the acting role
on the local stack; against any other endpoint set ONEASSESS_TOKEN.
"""

from __future__ import annotations

import sys

import typer

from cli import audit as audit_commands
from cli import catalog as catalog_commands
from cli import common, cycle_admin
from cli import demo as demo_commands
from cli import evidence as evidence_commands
from cli import report as report_commands
from cli import scores as score_commands
from cli import stack as stack_commands

app = typer.Typer(
    name="oneassess",
    help="OneAssess: one year-end assessment for a whole city (一次考核).",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)

# Each area registers its commands; one module per area keeps this file short.
for module in (
    stack_commands,
    catalog_commands,
    cycle_admin,
    evidence_commands,
    score_commands,
    audit_commands,
    demo_commands,
    report_commands,
):
    module.register(app)


def _take_as_option(argv: list[str]) -> list[str]:
    """Pull `--as VALUE` / `--as=VALUE` from anywhere on the line."""
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--as" and i + 1 < len(argv):
            common.acting.value = argv[i + 1]
            i += 2
            continue
        if arg.startswith("--as="):
            common.acting.value = arg.split("=", 1)[1]
        else:
            rest.append(arg)
        i += 1
    return rest


def main() -> None:
    args = _take_as_option(sys.argv[1:])
    app(args=args, prog_name="oneassess")


if __name__ == "__main__":
    main()
