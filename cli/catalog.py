"""`oneassess catalog import / list / template`: the line departments' special assessments.

Files travel to the indicators service as they are (YAML, Excel or CISO Assistant library);
the service checks them and answers every problem at once, which is printed as is. The CLI
only looks at a file closely enough to skip unit lists, cycle plans and tolerance files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc
import typer
from rich.table import Table

from cli.common import (
    JSON_OPTION,
    clients,
    console,
    err_console,
    fail,
    print_json,
    request_id,
    rpc_error_text,
    run,
    to_dict,
)
from oneassess.client import workbooks
from oneassess.client.paging import all_pages
from oneassess.indicators.v1 import indicators_service_pb2 as pb

app = typer.Typer(help="Special assessments: import, list, Excel template.", no_args_is_help=True)

FORMATS = {
    "yaml": pb.SOURCE_FORMAT_YAML,
    "xlsx": pb.SOURCE_FORMAT_XLSX,
    "ciso": pb.SOURCE_FORMAT_CISO_YAML,
}
SUFFIXES = (".yaml", ".yml", ".xlsx")
HINTS = {
    workbooks.UNITS: "a unit list: use `oneassess units import`",
    workbooks.CYCLE_PLAN: "a cycle plan: use `oneassess cycle create`",
    workbooks.TOLERANCE: "a tolerance catalogue: "
    "`oneassess cycle create` reads it through the plan",
    workbooks.OTHER: "not a special assessment (no indicators, evidence or owner; "
    "no catalogue sheets)",
}


def source_file(path: Path, fmt: str = "") -> pb.SourceFile:
    """A file as the indicators service takes it: name, bytes and (when given) format."""
    return pb.SourceFile(
        name=path.name,
        content=path.read_bytes(),
        format=FORMATS.get(fmt, pb.SOURCE_FORMAT_UNSPECIFIED),
    )


def _kind_of_file(path: Path) -> str:
    return workbooks.kind_of_file(path.name, path.read_bytes())


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
            if kind in (workbooks.SPECIAL_ASSESSMENT, workbooks.OTHER):
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
            if kind == workbooks.SPECIAL_ASSESSMENT:
                files.append(file)
            else:
                skipped.append((file, HINTS[kind]))
    return files, skipped


@app.command("import")
def catalog_import(
    paths: list[Path] = typer.Argument(
        ..., help="Special assessment files (.yaml, .xlsx, CISO Assistant .yaml) or folders."
    ),
    fmt: str = typer.Option(
        "", "--format", help="yaml, xlsx or ciso; by default from each file's name and content."
    ),
    json_output: bool = JSON_OPTION,
) -> None:
    """Import special assessments: each file is checked whole and stored as a new version, or
    rejected with every problem (file, line or cell, field, reason) and nothing stored.

    Folders are searched recursively; unit lists, cycle plans and tolerance files in them are
    skipped. An assessor (--as assessor:DEPT) may import only its own department's files.

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
        async with clients() as svc:
            for file in files:
                try:
                    response = await svc.indicators.ImportSpecialAssessment(
                        pb.ImportSpecialAssessmentRequest(
                            request_id=request_id(), file=source_file(file, fmt)
                        )
                    )
                except grpc.aio.AioRpcError as err:
                    if err.code() == grpc.StatusCode.UNAVAILABLE:
                        raise
                    failures += 1
                    err_console.print(
                        f"[bold red]rejected[/] {file}\n{rpc_error_text(err)}", highlight=False
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


@app.command("list")
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
        async with clients() as svc:
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


@app.command("template")
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
    """Write an Excel workbook to fill in: the sheets and headers of the import format and \
one example row (or a whole special assessment converted from YAML with --from).

    Example: oneassess catalog template work-safety.xlsx
    """
    if out.exists() and not force:
        fail(f"{out} exists (use --force to overwrite)")
    try:
        if units:
            content = workbooks.units_workbook()
        elif source is not None:
            document = workbooks.special_assessment_from_yaml(source.name, source.read_bytes())
            content = workbooks.special_assessment_workbook(document)
        else:
            content = workbooks.special_assessment_workbook()
    except FileNotFoundError as err:
        fail(f"file not found: {err.filename}")
    except ValueError as err:
        fail(str(err))
    out.write_bytes(content)
    console.print(f"wrote {out}", highlight=False)
