"""`oneassess evidence list / get / download / status`: reading submitted evidence."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import typer
from rich.table import Table

from cli.common import JSON_OPTION, clients, console, fail, print_json, run
from oneassess.client.paging import all_pages
from oneassess.submissions.v1 import submissions_service_pb2 as pb

app = typer.Typer(help="Read evidence: list, show, download, ask status.", no_args_is_help=True)


def _table(submissions) -> Table:
    table = Table("id", "unit", "key", "version", "current", "file", "format", "bytes", "submitted")
    for s in submissions:
        table.add_row(
            s.id, s.unit_code, s.evidence_key, str(s.version), "yes" if s.current else "",
            s.file_name, s.format, str(s.size_bytes),
            s.submitted_at.ToDatetime().isoformat(timespec="seconds"),
        )  # fmt: skip
    return table


@app.command("list")
def list_evidence(
    cycle_code: str = typer.Argument(..., help="Cycle code."),
    unit: str = typer.Option("", "--unit", help="Only this unit."),
    key: str = typer.Option("", "--key", help="Only this evidence key."),
    json_output: bool = JSON_OPTION,
) -> None:
    """List submissions (every version), newest first.

    Example: oneassess evidence list haizhou-2026 --unit baiquan-town
    """

    async def go():
        async with clients() as svc:
            return await all_pages(
                svc.submissions.ListSubmissions,
                pb.ListSubmissionsRequest(
                    cycle_code=cycle_code, unit_code=unit, evidence_key=key, page_size=1000
                ),
                "submissions",
            )

    found = run(go)
    if json_output:
        print_json(pb.ListSubmissionsResponse(submissions=found))
    else:
        console.print(_table(found))


@app.command("get")
def get_evidence(submission_id: str = typer.Argument(...), json_output: bool = JSON_OPTION) -> None:
    """Show one submission's metadata.

    Example: oneassess evidence get 0b5c...
    """

    async def go():
        async with clients() as svc:
            return await svc.submissions.GetSubmission(
                pb.GetSubmissionRequest(submission_id=submission_id)
            )

    response = run(go)
    if json_output:
        print_json(response)
    else:
        console.print(_table([response.submission]))


_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def safe_download_name(header: pb.Submission) -> str:
    """A name chosen by us, never by the uploader: unit, evidence key, version and the judged
    format, each reduced to ASCII letters, digits, '-' and '_' ("u-01_plan_v2.pdf")."""

    def part(text: str, fallback: str) -> str:
        return _UNSAFE.sub("-", text).strip("-")[:64] or fallback

    extension = part(header.format, "bin").lower()
    return (
        f"{part(header.unit_code, 'unit')}_{part(header.evidence_key, 'evidence')}"
        f"_v{max(header.version, 0)}.{extension}"
    )


@app.command("download")
def download(
    submission_id: str = typer.Argument(...),
    output: Path = typer.Option(
        None,
        "--output",
        "-o",
        help="Where to write; by default <unit>_<evidence key>_v<version>.<format> here.",
    ),
    force: bool = typer.Option(False, "--force", help="Replace the file if it exists."),
) -> None:
    """Download a submission and verify its sha256; a mismatch is an error and keeps nothing.
    The uploader's file name is never used as a path; an existing file is never replaced
    without --force.

    Example: oneassess evidence download 0b5c... -o plan.pdf --as auditor
    """
    if output is not None and output.exists() and not force:
        fail(f"{output} exists: choose another -o or add --force to replace it")

    async def go() -> tuple[pb.Submission, Path, str]:
        async with clients() as svc:
            messages = aiter(
                svc.submissions.Download(pb.DownloadRequest(submission_id=submission_id))
            )
            header = (await anext(messages)).header
            target = output or Path(safe_download_name(header))
            if target.exists() and not force:
                fail(f"{target} exists: choose a name with -o or add --force to replace it")
            partial = target.with_name(f".{target.name}.part")
            digest = hashlib.sha256()
            try:
                with partial.open("xb") as f:
                    async for message in messages:
                        digest.update(message.chunk)
                        f.write(message.chunk)
                if digest.hexdigest() == header.sha256:
                    if force:
                        os.replace(partial, target)
                    else:
                        try:
                            os.link(partial, target)  # refuses a name that appeared meanwhile
                        except FileExistsError:
                            fail(f"{target} exists: choose a name with -o or add --force")
            finally:
                partial.unlink(missing_ok=True)
            return header, target, digest.hexdigest()

    header, target, actual = run(go)
    if actual != header.sha256:
        fail(
            f"checksum mismatch: recorded sha256 {header.sha256}, downloaded bytes hash to "
            f"{actual}; nothing kept"
        )
    console.print(
        f"[green]downloaded[/] {target} ({header.size_bytes} bytes, sha256 verified {actual})"
    )


@app.command("status")
def ask_status(
    cycle_code: str = typer.Argument(...),
    unit: str = typer.Option(..., "--unit", help="Unit code."),
    json_output: bool = JSON_OPTION,
) -> None:
    """Each ask of a unit: missing, submitted or late.

    Example: oneassess evidence status haizhou-2026 --unit baiquan-town
    """

    async def go():
        async with clients() as svc:
            return await svc.submissions.GetAskStatus(
                pb.GetAskStatusRequest(cycle_code=cycle_code, unit_code=unit)
            )

    response = run(go)
    if json_output:
        print_json(response)
        return
    table = Table("evidence key", "state", "versions", "first submitted")
    for ask in response.asks:
        first = (
            ask.first_submitted_at.ToDatetime().isoformat(timespec="seconds")
            if ask.versions
            else ""
        )
        table.add_row(
            ask.evidence_key,
            pb.AskState.Name(ask.state).removeprefix("ASK_STATE_").lower(),
            str(ask.versions),
            first,
        )
    console.print(table)
