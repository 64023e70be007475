"""The demo's ending: its summary on the console, results.json and report.html on disk."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from oneassess.client import report

# -- printing --------------------------------------------------------------------------------


def print_summary(console: Console, document: dict) -> None:
    burden = document["burden"]
    table = Table(title=f"Burden: asks per unit before and after folding ({document['cycle']})")
    for column in ("unit kind", "units", "asks before", "asks after", "reduction"):
        table.add_column(column)
    for kind, v in sorted(burden["by_kind"].items()):
        table.add_row(
            kind,
            str(v["units"]),
            str(v["asks_before"]),
            str(v["asks_after"]),
            f"{v['reduction_percent']:.1f}%",
        )
    console.print(table)

    groups: dict[str, list[dict]] = {}
    for row in document["scoreboard"]:
        groups.setdefault(row["group"], []).append(row)
    for group, rows in sorted(groups.items()):
        board = Table(title=f"Scoreboard: {group}")
        for column in ("rank", "unit", "composite", "tier"):
            board.add_column(column)
        for r in rows:
            board.add_row(
                str(r["rank"]),
                r["unit"],
                r["composite"],
                r["tier"] + (" (veto)" if r.get("vetoed") else ""),
            )
        console.print(board)

    reminders = document["reminders"]
    console.print(
        f"[bold]Reminders[/]: {reminders['total']} digests to {len(reminders['by_unit'])} units "
        f"({reminders['units_never_reminded']} units never needed one), "
        f"{reminders['escalations']} escalations; "
        f"channels {reminders['by_channel']}"
    )
    timeline = document["submissions_timeline"]
    console.print(
        f"[bold]Submissions[/]: {timeline['on_time']} asks on time, {timeline['late']} late, "
        f"{timeline['missing']} missing"
    )
    if document.get("web_ui"):
        console.print(f"[bold]Temporal Web UI[/]: {document['web_ui']}")


def write_outputs(out: Path, document: dict) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    results_path = out / "results.json"
    results_path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    report_path = out / "report.html"
    report_path.write_text(report.render(document), encoding="utf-8")
    return results_path, report_path
