"""`oneassess submit`: a unit's evidence file for one ask, hashed, streamed, stored once.

The upload (oneassess.client.uploads) retries a dropped connection or a server waiting for its
database with the same request id, for ONEASSESS_RETRY_SECONDS (150 s by default), saying that
it is waiting; a retry never makes a second submission. Files from 1 MiB on show a progress bar.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

from cli.common import (
    JSON_OPTION,
    clients,
    console,
    err_console,
    print_json,
    request_id,
    run,
    settings,
)
from oneassess.client import uploads
from oneassess.submissions.v1 import submissions_service_pb2 as pb

PROGRESS_FROM_BYTES = 1024 * 1024  # smaller files upload before a bar could be read

app = typer.Typer()  # its command sits at the top: `oneassess submit ...`


def _say_retry(waiting: uploads.Waiting) -> None:
    err_console.print(
        waiting.line("the upload"), style="yellow", markup=False, highlight=False, soft_wrap=True
    )


@app.command("submit")
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

    Example: oneassess submit haizhou-2026 --unit baiquan-town --key annual-work-plan plan.pdf \\
        --as unit:baiquan-town
    """
    header = pb.UploadHeader(
        request_id=request or request_id(),
        cycle_code=cycle_code,
        unit_code=unit,
        evidence_key=key,
        file_name=file.name,
        declared_format=declared_format or file.suffix.lstrip("."),
        size_bytes=file.stat().st_size,
        sha256=uploads.sha256_of(file),
        effective_date=effective_date,
    )

    policy = uploads.RetryPolicy.from_settings(settings())

    async def go() -> pb.UploadResponse:
        async with clients() as svc:
            if header.size_bytes < PROGRESS_FROM_BYTES or json_output:
                return await uploads.upload(
                    svc.submissions, header, file, policy=policy, on_retry=_say_retry
                )
            columns = (
                *Progress.get_default_columns()[:1],
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
            )
            with Progress(*columns, console=err_console, transient=True) as progress:
                task = progress.add_task(file.name, total=header.size_bytes)
                return await uploads.upload(
                    svc.submissions,
                    header,
                    file,
                    on_attempt=lambda: progress.reset(task, total=header.size_bytes),
                    on_chunk=lambda n: progress.advance(task, n),
                    policy=policy,
                    on_retry=_say_retry,
                )

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
