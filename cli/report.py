"""`oneassess report`: a cycle's results as one self-contained HTML page (and JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from cli.common import clients, console, run
from oneassess.client import report as report_page
from oneassess.client import results

app = typer.Typer()  # its command sits at the top: `oneassess report ...`


@app.command("report")
def report(
    cycle_code: str = typer.Argument(..., help="cycle code"),
    out: Path = typer.Option(..., "--out", help="the HTML file to write"),
    json_out: Path = typer.Option(
        None, "--json-out", help="also write the results document (results.json)"
    ),
) -> None:
    """Write the results report: ranking per peer group with tiers, asks before/after folding,
    submissions against the deadline, reminders sent, and the tables behind the charts.
    One file, no network needed to open it.

    Example: oneassess report haizhou-2026 --out report.html --as auditor
    """

    async def go() -> dict:
        async with clients() as svc:
            return await results.collect(svc, cycle_code)

    document = run(go)
    out.write_text(report_page.render(document), encoding="utf-8")
    console.print(f"wrote {out}")
    if json_out is not None:
        json_out.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
        console.print(f"wrote {json_out}")
