"""`oneassess catalog / units / cycle / asks`: the catalogue, the units, cycles and their fold.

Files travel to the indicators service as they are (YAML, Excel or CISO Assistant library);
the service checks them and answers every problem at once, which is printed as is.
`cycle_app` is the `cycle` command group; other areas may add their cycle commands to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc
import typer
import yaml
from rich.table import Table

from cli import common
from cli.common import (
    JSON_OPTION,
    console,
    err_console,
    fail,
    print_json,
    request_id,
    run,
    to_dict,
)
from oneassess.client import results
from oneassess.client.errors import describe_rpc_error
from oneassess.client.paging import all_pages
from oneassess.indicators.v1 import indicators_service_pb2 as pb

catalog_app = typer.Typer(
    help="Special assessments: import, list, Excel template.", no_args_is_help=True
)
units_app = typer.Typer(help="Assessed units: import and list.", no_args_is_help=True)
cycle_app = typer.Typer(
    help="Cycles: create from a plan, fold, burden report.", no_args_is_help=True
)

FORMATS = {
    "yaml": pb.SOURCE_FORMAT_YAML,
    "xlsx": pb.SOURCE_FORMAT_XLSX,
    "ciso": pb.SOURCE_FORMAT_CISO_YAML,
}
SUFFIXES = (".yaml", ".yml", ".xlsx")


def register(app: typer.Typer) -> None:
    app.add_typer(catalog_app, name="catalog")
    app.add_typer(units_app, name="units")
    app.add_typer(cycle_app, name="cycle")
    app.command("asks")(asks)


# -- files ---------------------------------------------------------------------------------------


def _source(path: Path, fmt: str = "") -> pb.SourceFile:
    return pb.SourceFile(
        name=path.name,
        content=path.read_bytes(),
        format=FORMATS.get(fmt, pb.SOURCE_FORMAT_UNSPECIFIED),
    )


SHEETS = {"special_assessment", "evidence", "indicators"}
SA_FIELDS = {"indicators", "evidence", "owner"}


def _kind_of_file(path: Path) -> str:
    """'special_assessment', a known other file ('units', 'cycle plan', 'tolerance'), or 'other'."""
    try:
        if path.suffix.lower() == ".xlsx":
            from services.indicators.excel import sheet_names

            sheets = set(sheet_names(path.read_bytes(), path.name))
            if sheets & SHEETS:
                return "special_assessment"
            return "units" if "units" in sheets else "other"
        document = yaml.safe_load(path.read_bytes())
    except Exception:  # unreadable files go to the service, which says exactly what is wrong
        return "special_assessment"
    if isinstance(document, list):
        return "units" if all(isinstance(u, dict) and "kind" in u for u in document) else "other"
    if not isinstance(document, dict):
        return "other"
    if SA_FIELDS & document.keys() or isinstance(document.get("objects"), dict):
        return "special_assessment"
    if "units" in document:
        return "units"
    if "calendar" in document and "special_assessments" in document:
        return "cycle plan"
    if "tolerated" in document or "never_tolerated" in document:
        return "tolerance"
    return "other"


HINTS = {
    "units": "a unit list: use `oneassess units import`",
    "cycle plan": "a cycle plan: use `oneassess cycle create`",
    "tolerance": "a tolerance catalogue: `oneassess cycle create` reads it through the plan",
    "other": "not a special assessment (no indicators, evidence or owner; no catalogue sheets)",
}


def _collect(paths: list[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Special assessment files among `paths` and the files skipped with why. Folders are searched
    recursively and keep only special assessments; a file named on the line is sent unless it
    is plainly another kind of catalogue file (the service then says what is wrong with it)."""
    files: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(2, "No such file or directory", str(path))
        if not path.is_dir():
            kind = _kind_of_file(path)
            if kind in ("special_assessment", "other"):
                files.append(path)
            else:
                skipped.append((path, HINTS[kind]))
            continue
        for file in sorted(
            p
            for p in path.rglob("*")
            if p.is_file()
            and p.suffix.lower() in SUFFIXES
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
        ):
            kind = _kind_of_file(file)
            if kind == "special_assessment":
                files.append(file)
            else:
                skipped.append((file, HINTS[kind]))
    return files, skipped


def _explain(err: grpc.aio.AioRpcError) -> str:
    code, message, violations = describe_rpc_error(err)
    if code == "UNAVAILABLE":
        return f"cannot reach the service ({err.details()}). Is the stack running? Start it with `oneassess up`."
    detail = "\n".join(f"  - {v}" for v in violations if v not in message)
    return f"{code}: {message}" + (f"\n{detail}" if detail else "")


# -- catalog -------------------------------------------------------------------------------------


@catalog_app.command("import")
def catalog_import(
    paths: list[Path] = typer.Argument(
        ..., help="Special assessment files (.yaml, .xlsx, CISO Assistant .yaml) or folders."
    ),
    fmt: str = typer.Option(
        "", "--format", help="yaml, xlsx or ciso; by default from each file's name and content."
    ),
    json_output: bool = JSON_OPTION,
) -> None:
    """Import special assessments: each file is checked whole and stored as a new version, or rejected with every problem (file, line or cell, field, reason) and nothing stored.

    Folders are searched recursively; unit lists, cycle plans and tolerance files in them are skipped. An assessor (--as assessor:DEPT) may import only its own department's files.

    Example: oneassess catalog import examples/haizhou-2026/special-assessments
    """
    if fmt and fmt not in FORMATS:
        fail(f"--format: unknown format {fmt!r} (yaml, xlsx or ciso)")
    try:
        files, skipped = _collect(paths)
    except FileNotFoundError as err:
        fail(f"file not found: {err.filename}")
    named = {p.resolve() for p in paths if p.is_file()}
    for file, hint in skipped:
        if file.resolve() in named:
            fail(f"{file}: {hint}")
        err_console.print(f"[dim]skipped {file}: {hint}[/]", highlight=False)
    if not files:
        fail("no special assessment files found (.yaml, .yml or .xlsx)")

    async def go() -> tuple[list[dict[str, Any]], int]:
        results, failures = [], 0
        async with common.clients() as svc:
            for file in files:
                try:
                    response = await svc.indicators.ImportSpecialAssessment(
                        pb.ImportSpecialAssessmentRequest(
                            request_id=request_id(), file=_source(file, fmt)
                        )
                    )
                except grpc.aio.AioRpcError as err:
                    if err.code() == grpc.StatusCode.UNAVAILABLE:
                        raise
                    failures += 1
                    err_console.print(
                        f"[bold red]rejected[/] {file}\n{_explain(err)}", highlight=False
                    )
                    results.append(
                        {"file": str(file), "error": err.details(), "status": err.code().name}
                    )
                    continue
                sa = response.special_assessment
                results.append(
                    {
                        "file": str(file),
                        "code": sa.code,
                        "version": sa.version,
                        "created": response.created,
                        "sha256": sa.sha256,
                    }
                )
                if not json_output:
                    state = "imported" if response.created else "unchanged"
                    console.print(
                        f"{state:<9} {sa.code} v{sa.version}  ({len(sa.indicators)} indicators, "
                        f"{len(sa.evidence)} evidence)  {file}",
                        highlight=False,
                    )
        return results, failures

    results, failures = run(go)
    if json_output:
        print_json(results)
    if failures:
        raise typer.Exit(1)


@catalog_app.command("list")
def catalog_list(
    all_versions: bool = typer.Option(
        False, "--all-versions", help="Every version, not only the latest."
    ),
    code: str = typer.Option("", "--code", help="Only this special assessment."),
    json_output: bool = JSON_OPTION,
) -> None:
    """List special assessments (latest version of each, or every version).

    Example: oneassess catalog list --all-versions --code work-safety --json
    """

    async def go() -> list[pb.SpecialAssessment]:
        async with common.clients() as svc:
            return await all_pages(
                svc.indicators.ListSpecialAssessments,
                pb.ListSpecialAssessmentsRequest(
                    page_size=500, all_versions=all_versions, code=code
                ),
                "special_assessments",
            )

    found = run(go)
    if json_output:
        print_json([to_dict(s) for s in found])
        return
    table = Table("code", "version", "name", "owner", "indicators", "evidence", "sha256")
    for s in found:
        table.add_row(
            s.code,
            str(s.version),
            s.name,
            s.owner,
            str(len(s.indicators)),
            str(len(s.evidence)),
            s.sha256[:12],
        )
    console.print(table)


@catalog_app.command("template")
def catalog_template(
    out: Path = typer.Argument(..., help="Workbook to write (.xlsx)."),
    units: bool = typer.Option(
        False, "--units", help="A unit list workbook instead of a special assessment."
    ),
    source: Path = typer.Option(
        None,
        "--from",
        help="Fill it from this special assessment (YAML) instead of one example row.",
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite OUT if it exists."),
) -> None:
    """Write an Excel workbook to fill in: the sheets and headers of the import format and one example row (or a whole special assessment converted from YAML with --from).

    Example: oneassess catalog template work-safety.xlsx
    """
    from services.common.errors import DomainError
    from services.indicators import excel
    from services.indicators.formats import read_special_assessment

    if out.exists() and not force:
        fail(f"{out} exists (use --force to overwrite)")
    try:
        if units:
            content = excel.units_workbook()
        elif source is not None:
            content = excel.special_assessment_workbook(
                read_special_assessment(source.name, source.read_bytes())
            )
        else:
            content = excel.special_assessment_workbook()
    except FileNotFoundError as err:
        fail(f"file not found: {err.filename}")
    except DomainError as err:
        fail(str(err))
    out.write_bytes(content)
    console.print(f"wrote {out}", highlight=False)


# -- units ---------------------------------------------------------------------------------------


@units_app.command("import")
def units_import(
    path: Path = typer.Argument(
        ..., help="Unit list: YAML (units: [...]) or Excel (a `units` sheet)."
    ),
    json_output: bool = JSON_OPTION,
) -> None:
    """Import the unit list: new units are added, changed ones updated (by code). Checked whole: any problem rejects the file and changes nothing.

    Example: oneassess units import examples/haizhou-2026/units.yaml
    """

    async def go() -> pb.ImportUnitsResponse:
        async with common.clients() as svc:
            return await svc.indicators.ImportUnits(
                pb.ImportUnitsRequest(request_id=request_id(), file=_source(path))
            )

    response = run(go)
    if json_output:
        print_json(response)
    else:
        console.print(
            f"units: {response.created} created, {response.updated} updated, {response.unchanged} unchanged"
        )


@units_app.command("list")
def units_list(
    kind: str = typer.Option("", "--kind", help="Only this kind."),
    group: str = typer.Option("", "--group", help="Only this peer group."),
    json_output: bool = JSON_OPTION,
) -> None:
    """List units.

    Example: oneassess units list --kind township --json
    """

    async def go() -> list[pb.Unit]:
        async with common.clients() as svc:
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


# -- cycles --------------------------------------------------------------------------------------


def _tolerance_path(plan_path: Path) -> Path | None:
    try:
        document = yaml.safe_load(plan_path.read_bytes())
    except yaml.YAMLError:
        return None  # the service reports the syntax error with its line
    named = document.get("tolerance") if isinstance(document, dict) else None
    return plan_path.parent / named if isinstance(named, str) and named else None


@cycle_app.command("create")
def cycle_create(
    plan: Path = typer.Argument(..., help="Cycle plan (cycle.yaml format)."),
    tolerance: Path = typer.Option(
        None, "--tolerance", help="Tolerance catalogue; by default the file the plan names."
    ),
    json_output: bool = JSON_OPTION,
) -> None:
    """Create a cycle from its plan: weights sum to 100, calendar in order, reminder offsets, tiers, and every equivalence key declared by an imported special assessment. Admin only.

    Example: oneassess cycle create examples/haizhou-2026/cycle.yaml
    """
    if not plan.is_file():
        fail(f"file not found: {plan}")
    tolerance = tolerance or _tolerance_path(plan)
    if tolerance is not None and not tolerance.is_file():
        fail(f"file not found: {tolerance} (the tolerance file the plan names)")

    async def go() -> pb.CreateCycleResponse:
        request = pb.CreateCycleRequest(request_id=request_id(), plan=_source(plan))
        if tolerance is not None:
            request.tolerance.CopyFrom(_source(tolerance))
        async with common.clients() as svc:
            return await svc.indicators.CreateCycle(request)

    cycle = run(go).cycle
    if json_output:
        print_json(cycle)
    else:
        console.print(
            f"created cycle {cycle.code} ({cycle.name}) with {len(cycle.weights)} special assessments; "
            f"next: oneassess cycle fold {cycle.code}",
            highlight=False,
        )


@cycle_app.command("fold")
def cycle_fold(
    code: str = typer.Argument(..., help="Cycle code."), json_output: bool = JSON_OPTION
) -> None:
    """Fold a cycle: freeze the latest version of each of its special assessments, the canonical evidence keys and every unit's asks. A folded catalogue never changes. Admin only.

    Example: oneassess cycle fold haizhou-2026
    """

    async def go() -> pb.FoldCycleResponse:
        async with common.clients() as svc:
            return await svc.indicators.FoldCycle(
                pb.FoldCycleRequest(request_id=request_id(), cycle_code=code)
            )

    cycle = run(go).cycle
    if json_output:
        print_json(cycle)
        return
    versions = ", ".join(f"{v.code} v{v.version}" for v in cycle.folded_versions)
    console.print(
        f"folded {cycle.code}: {versions}\ncatalogue sha256 {cycle.catalogue_sha256}",
        highlight=False,
    )


@cycle_app.command("show")
def cycle_show(
    code: str = typer.Argument(..., help="Cycle code."), json_output: bool = JSON_OPTION
) -> None:
    """Show a cycle: state, weights, calendar and the versions it folded.

    Example: oneassess cycle show haizhou-2026 --json
    """

    async def go() -> pb.GetCycleResponse:
        async with common.clients() as svc:
            return await svc.indicators.GetCycle(pb.GetCycleRequest(cycle_code=code))

    cycle = run(go).cycle
    if json_output:
        print_json(cycle)
        return
    console.print(
        f"{cycle.code}  {cycle.name}  [{pb.CycleState.Name(cycle.state).removeprefix('CYCLE_STATE_').lower()}]"
    )
    table = Table("special assessment", "weight", "folded version")
    folded = {v.code: str(v.version) for v in cycle.folded_versions}
    for sa, weight in sorted(cycle.weights.items()):
        table.add_row(sa, f"{weight:g}", folded.get(sa, "-"))
    console.print(table)


@cycle_app.command("burden")
def cycle_burden(
    code: str = typer.Argument(..., help="Cycle code."),
    per_unit: bool = typer.Option(False, "--units", help="Also list every unit."),
    json_output: bool = JSON_OPTION,
) -> None:
    """Burden report (减负报告): asks per unit before folding (each special assessment on its own) and after, per unit kind and per unit, and how many indicators each ask serves.

    Example: oneassess cycle burden haizhou-2026 --json
    """

    async def go() -> tuple[pb.BurdenReport, dict[str, Any]]:
        async with common.clients() as svc:
            report = (
                await svc.indicators.GetBurdenReport(pb.GetBurdenReportRequest(cycle_code=code))
            ).report
            return report, await results.burden(svc, code)

    report, document = run(go)
    if json_output:
        print_json(document)
        return
    collected = {u["unit"]: u for u in document["units"]}
    table = Table(
        "unit kind",
        "units",
        "asks before",
        "asks after",
        "reduction",
        title=f"burden of {report.cycle_code}",
    )
    for k in report.by_kind:
        table.add_row(
            k.kind,
            str(k.units),
            str(k.asks_before),
            str(k.asks_after),
            f"{k.reduction_percent:.1f}%",
        )
    console.print(table)
    shared = sorted(report.asks, key=lambda a: (-a.indicators, a.kind, a.evidence_key))[:10]
    top = Table(
        "unit kind",
        "ask",
        "indicators served",
        "special assessments",
        title="asks serving the most indicators",
    )
    for a in shared:
        top.add_row(a.kind, a.evidence_key, str(a.indicators), str(a.special_assessments))
    console.print(top)
    if per_unit:
        units = Table(
            "unit",
            "kind",
            "group",
            "asks before",
            "asks after",
            "reduction",
            "submitted",
            "reminders",
        )
        for u in report.units:
            row = collected.get(u.unit_code, {})
            units.add_row(
                u.unit_code,
                u.kind,
                u.group,
                str(u.asks_before),
                str(u.asks_after),
                f"{u.reduction_percent:.1f}%",
                str(row.get("asks_submitted", "")),
                str(row.get("reminders", "")),
            )
        console.print(units)


# -- asks ----------------------------------------------------------------------------------------


def asks(
    code: str = typer.Argument(..., help="Cycle code."),
    unit: str = typer.Option(
        "", "--unit", help="Unit code (defaults to the acting unit with --as unit:CODE)."
    ),
    json_output: bool = JSON_OPTION,
) -> None:
    """List a unit's evidence asks in a folded cycle: one per document, each with every indicator of every special assessment it serves. A unit sees only its own.

    Example: oneassess asks haizhou-2026 --unit baiquan-town --json
    """
    role, _, scope = common.acting.value.partition(":")
    unit = unit or (scope if role == "unit" else "")
    if not unit:
        fail("--unit: which unit's asks? (e.g. --unit baiquan-town)")

    async def go() -> list[pb.Ask]:
        async with common.clients() as svc:
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
