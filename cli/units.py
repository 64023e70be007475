"""`oneassess units import / list`: the assessed units."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from cli.catalog import source_file
from cli.common import JSON_OPTION, clients, console, print_json, request_id, run, to_dict
from oneassess.client.paging import all_pages
from oneassess.indicators.v1 import indicators_service_pb2 as pb

app = typer.Typer(help="Assessed units: import and list.", no_args_is_help=True)


@app.command("import")
def units_import(
    path: Path = typer.Argument(
        ..., help="Unit list: YAML (units: [...]) or Excel (a `units` sheet)."
    ),
    json_output: bool = JSON_OPTION,
) -> None:
    """Import the unit list: new units are added, changed ones updated (by code). Checked whole: any
    problem rejects the file and changes nothing.

    Example: oneassess units import examples/haizhou-2026/units.yaml
    """

    async def go() -> pb.ImportUnitsResponse:
        async with clients() as svc:
            return await svc.indicators.ImportUnits(
                pb.ImportUnitsRequest(request_id=request_id(), file=source_file(path))
            )

    response = run(go)
    if json_output:
        print_json(response)
    else:
        console.print(
            f"units: {response.created} created, {response.updated} updated, {response.unchanged} "
            "unchanged"
        )


@app.command("list")
def units_list(
    kind: str = typer.Option("", "--kind", help="Only this kind."),
    group: str = typer.Option("", "--group", help="Only this peer group."),
    json_output: bool = JSON_OPTION,
) -> None:
    """List units.

    Example: oneassess units list --kind township --json
    """

    async def go() -> list[pb.Unit]:
        async with clients() as svc:
            return await all_pages(
                svc.indicators.ListUnits,
                pb.ListUnitsRequest(page_size=1000, kind=kind, group=group),
                "units",
            )

    found = run(go)
    if json_output:
        print_json([to_dict(u) for u in found])
        return
    table = Table("code", "name", "kind", "group", "contact")
    for u in found:
        table.add_row(u.code, u.name, u.kind, u.group, u.contact)
    console.print(table)
