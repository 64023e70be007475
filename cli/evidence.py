"""`oneassess submit`, `oneassess evidence list/get/download/status` and
`oneassess extension request`: a unit's evidence, submitted once.

`submit` streams the file in 64 KiB chunks with a progress bar and retries a dropped
connection with the same request id, so a retry never makes a second submission.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import grpc
import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn
from rich.table import Table
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from cli.common import (
    JSON_OPTION,
    clients,
    command_group,
    console,
    err_console,
    fail,
    print_json,
    request_id,
    run,
)
from oneassess.client.paging import all_pages
from oneassess.submissions.v1 import submissions_service_pb2 as pb

CHUNK_BYTES = 64 * 1024
PROGRESS_FROM_BYTES = 1024 * 1024  # smaller files upload before a bar could be read
RETRYABLE = {
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.ABORTED,
}
ATTEMPTS = 6

evidence_app = typer.Typer(
    help="Read evidence: list, show, download, ask status.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.command("submit")(submit)
    app.add_typer(evidence_app, name="evidence")
    extension = command_group(
        app, "extension", "Extensions: a unit asks; the office decides or grants."
    )
    extension.command("request")(request_extension)


def _retryable(error: BaseException) -> bool:
    return isinstance(error, grpc.aio.AioRpcError) and error.code() in RETRYABLE


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


async def _messages(
    header: pb.UploadHeader, path: Path, advance: Callable[[int], None]
) -> AsyncIterator[pb.UploadRequest]:
    yield pb.UploadRequest(header=header)
    with path.open("rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            yield pb.UploadRequest(chunk=chunk)
            advance(len(chunk))


async def upload_with_retry(
    stub, header: pb.UploadHeader, path: Path, progress: Progress | None
) -> pb.UploadResponse:
    """Upload, retrying transient failures with the same header (and so the same request id)."""
    task = progress.add_task(path.name, total=header.size_bytes) if progress else None
    async for attempt in AsyncRetrying(
        retry=retry_if_exception(_retryable),
        wait=wait_exponential(multiplier=0.5, max=8),
        stop=stop_after_attempt(ATTEMPTS),
        reraise=True,
        before_sleep=lambda state: err_console.print(
            f"[yellow]upload interrupted ({state.outcome.exception().code().name}); retrying with the same request id[/]"
        ),
    ):
        with attempt:
            if progress is not None:
                progress.reset(task, total=header.size_bytes)
            advance = (lambda n: progress.advance(task, n)) if progress else (lambda n: None)
            return await stub.Upload(_messages(header, path, advance))
    raise AssertionError("unreachable")


def submit(
    cycle_code: str = typer.Argument(..., help="Cycle code, e.g. haizhou-2026."),
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, help="The evidence file."
    ),
    unit: str = typer.Option(..., "--unit", help="Unit code (yours, when acting as a unit)."),
    key: str = typer.Option(..., "--key", help="Evidence key of the ask (an alias works)."),
    declared_format: str = typer.Option(
        "", "--format", help="Format; the file extension by default."
    ),
    effective_date: str = typer.Option(
        "", "--effective-date", help="Period the evidence covers, YYYY-MM-DD."
    ),
    request: str = typer.Option(
        "", "--request-id", help="Idempotency key; a fresh one by default."
    ),
    json_output: bool = JSON_OPTION,
) -> None:
    """Submit one evidence file for an ask: hashed, streamed, stored once.

    Example: oneassess submit haizhou-2026 --unit baiquan-town --key annual-work-plan plan.pdf --as unit:baiquan-town
    """
    header = pb.UploadHeader(
        request_id=request or request_id(),
        cycle_code=cycle_code,
        unit_code=unit,
        evidence_key=key,
        file_name=file.name,
        declared_format=declared_format or file.suffix.lstrip("."),
        size_bytes=file.stat().st_size,
        sha256=sha256_of(file),
        effective_date=effective_date,
    )

    async def go() -> pb.UploadResponse:
        async with clients() as svc:
            if header.size_bytes < PROGRESS_FROM_BYTES or json_output:
                return await upload_with_retry(svc.submissions, header, file, None)
            columns = (
                *Progress.get_default_columns()[:1],
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
            )
            with Progress(*columns, console=err_console, transient=True) as progress:
                return await upload_with_retry(svc.submissions, header, file, progress)

    response = run(go)
    if json_output:
        print_json(response)
        return
    sub = response.submission
    what = (
        "unchanged: identical to the current version"
        if response.deduplicated
        else f"version {sub.version}"
    )
    console.print(f"[green]submitted[/] {sub.evidence_key} for {sub.unit_code}: {what}")
    console.print(f"  id {sub.id}  sha256 {sub.sha256}  {sub.size_bytes} bytes  {sub.format}")


def _table(submissions) -> Table:
    table = Table("id", "unit", "key", "version", "current", "file", "format", "bytes", "submitted")
    for s in submissions:
        table.add_row(
            s.id, s.unit_code, s.evidence_key, str(s.version), "yes" if s.current else "", s.file_name, s.format,
            str(s.size_bytes), s.submitted_at.ToDatetime().isoformat(timespec="seconds"),
        )  # fmt: skip
    return table


@evidence_app.command("list")
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


@evidence_app.command("get")
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


@evidence_app.command("download")
def download(
    submission_id: str = typer.Argument(...),
    output: Path = typer.Option(
        None, "--output", "-o", help="Where to write; the stored file name by default."
    ),
) -> None:
    """Download a submission and verify its sha256; a mismatch is an error and keeps nothing.

    Example: oneassess evidence download 0b5c... -o plan.pdf --as auditor
    """

    async def go() -> tuple[pb.Submission, Path, str]:
        async with clients() as svc:
            messages = aiter(
                svc.submissions.Download(pb.DownloadRequest(submission_id=submission_id))
            )
            header = (await anext(messages)).header
            target = output or Path(header.file_name)
            partial = target.with_name(f".{target.name}.part")
            digest = hashlib.sha256()
            try:
                with partial.open("wb") as f:
                    async for message in messages:
                        digest.update(message.chunk)
                        f.write(message.chunk)
                if digest.hexdigest() == header.sha256:
                    os.replace(partial, target)
            finally:
                partial.unlink(missing_ok=True)
            return header, target, digest.hexdigest()

    header, target, actual = run(go)
    if actual != header.sha256:
        fail(
            f"checksum mismatch: recorded sha256 {header.sha256}, downloaded bytes hash to {actual}; nothing kept"
        )
    console.print(
        f"[green]downloaded[/] {target} ({header.size_bytes} bytes, sha256 verified {actual})"
    )


@evidence_app.command("status")
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


def request_extension(
    cycle_code: str = typer.Argument(...),
    unit: str = typer.Option(..., "--unit", help="Your unit."),
    days: int = typer.Option(..., "--days", help="Days asked for, 1 to 60."),
    reason: str = typer.Option(..., "--reason", help="Why more time is needed."),
) -> None:
    """Ask the assessment office for more time; the cycle workflow gets the request.

    Example: oneassess extension request haizhou-2026 --unit baiquan-town --days 7 --reason "typhoon" --as unit:baiquan-town
    """

    async def go():
        async with clients() as svc:
            return await svc.submissions.RequestExtension(
                pb.RequestExtensionRequest(
                    request_id=request_id(),
                    cycle_code=cycle_code,
                    unit_code=unit,
                    days=days,
                    reason=reason,
                )
            )

    response = run(go)
    console.print(
        f"[green]requested[/] {days} more days for {unit}: extension {response.extension_id}"
    )
