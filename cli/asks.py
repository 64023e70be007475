"""`oneassess asks`: a unit's consolidated evidence asks in a folded cycle."""

from __future__ import annotations

import typer
from rich.table import Table

from cli.common import JSON_OPTION, acting, clients, console, fail, print_json, run, to_dict
from oneassess.client.paging import all_pages
from oneassess.indicators.v1 import indicators_service_pb2 as pb

app = typer.Typer()  # its command sits at the top: `oneassess asks ...`


@app.command("asks")
def asks(
    code: str = typer.Argument(..., help="Cycle code."),
    unit: str = typer.Option(
        "", "--unit", help="Unit code (defaults to the acting unit with --as unit:CODE)."
    ),
    json_output: bool = JSON_OPTION,
) -> None:
    """List a unit's evidence asks in a folded cycle: one per document, each with every indicator of
    every special assessment it serves. A unit sees only its own.

    Example: oneassess asks haizhou-2026 --unit baiquan-town --json
    """
    role, _, scope = acting.value.partition(":")
    unit = unit or (scope if role == "unit" else "")
    if not unit:
        fail("--unit: which unit's asks? (e.g. --unit baiquan-town)")

    async def go() -> list[pb.Ask]:
        async with clients() as svc:
            return await all_pages(
                svc.indicators.ListAsks,
                pb.ListAsksRequest(cycle_code=code, unit_code=unit, page_size=1000),
                "asks",
            )

    found = run(go)
    if json_output:
        print_json(
            {"cycle": code, "unit": unit, "total": len(found), "asks": [to_dict(a) for a in found]}
        )
        return
    table = Table(
        "evidence key",
        "document",
        "formats",
        "serves",
        title=f"{unit}: {len(found)} asks in {code}",
    )
    for a in found:
        serves = ", ".join(f"{r.special_assessment_code}/{r.indicator_code}" for r in a.serves)
        table.add_row(a.evidence_key, a.name, ", ".join(a.formats), serves)
    console.print(table)
