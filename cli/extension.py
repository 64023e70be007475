"""`oneassess extension request / decide / grant`: a unit asks for more time (through the
submissions service); the office decides or grants (an update of the cycle's workflow,
whose validator refuses a bad one before it enters the history)."""

from __future__ import annotations

import typer

from cli import workflow
from cli.common import clients, console, fail, request_id, retrying, run
from oneassess.submissions.v1 import submissions_service_pb2 as pb
from workflows import control
from workflows.model import ExtendUnitRequest, ExtensionDecision, ExtensionRecord

app = typer.Typer(
    help="Extensions: a unit asks; the office decides or grants.", no_args_is_help=True
)


@app.command("request")
def request_extension(
    cycle_code: str = typer.Argument(...),
    unit: str = typer.Option(..., "--unit", help="Your unit."),
    days: int = typer.Option(..., "--days", help="Days asked for, 1 to 60."),
    reason: str = typer.Option(..., "--reason", help="Why more time is needed."),
) -> None:
    """Ask the assessment office for more time; the cycle workflow gets the request.

    Example: oneassess extension request haizhou-2026 --unit baiquan-town --days 7 \\
        --reason "typhoon" --as unit:baiquan-town
    """

    request = pb.RequestExtensionRequest(
        request_id=request_id(), cycle_code=cycle_code, unit_code=unit, days=days, reason=reason
    )

    async def go():
        async with clients() as svc:
            return await retrying(lambda: svc.submissions.RequestExtension(request), "the request")

    response = run(go)
    console.print(
        f"[green]requested[/] {days} more days for {unit}: extension {response.extension_id}"
    )


@app.command("decide")
def decide(
    cycle_code: str = typer.Argument(..., help="cycle code"),
    unit: str = typer.Option("", "--unit", help="the unit whose pending request to decide"),
    extension_id: str = typer.Option("", "--id", help="the request id (instead of --unit)"),
    approve: bool = typer.Option(..., "--approve/--reject", help="approve or reject"),
    days: int = typer.Option(0, "--days", help="days granted (default: what the unit asked for)"),
) -> None:
    """Approve or reject a unit's extension request; approval moves its deadline, lock and
    reminders.

    Example: oneassess extension decide haizhou-2026 --unit baiquan-town --approve
    """
    if not unit and not extension_id:
        fail("name the request: --unit CODE or --id EXTENSION_ID")
    decision = ExtensionDecision(unit, extension_id, approve, workflow.who(), days)

    async def go() -> ExtensionRecord:
        # A request travels from the submissions service's outbox to the workflow: give a
        # just-filed one a few seconds to arrive before the workflow's validator is asked.
        try:
            await control.wait_for_pending_extension(
                await workflow.connect(), cycle_code, unit_code=unit, within_seconds=5
            )
        except TimeoutError:
            pass  # let the validator say what is wrong
        return await workflow.update(cycle_code, "decide_extension", decision, ExtensionRecord)

    _print_record(run(go, workflow.explainer(cycle_code)))


@app.command("grant")
def grant(
    cycle_code: str = typer.Argument(..., help="cycle code"),
    unit: str = typer.Option(..., "--unit", help="unit code"),
    days: int = typer.Option(..., "--days", help="1 to 60"),
    reason: str = typer.Option("", "--reason"),
) -> None:
    """Extend a unit without a request from it.

    Example: oneassess extension grant haizhou-2026 --unit finance --days 5 --reason typhoon
    """
    request = ExtendUnitRequest(unit, days, reason, workflow.who())
    record = run(lambda: workflow.update(cycle_code, "extend_unit", request, ExtensionRecord))
    _print_record(record)


def _print_record(record: ExtensionRecord) -> None:
    if record.status == "approved":
        console.print(
            f"{record.unit_code}: extension {record.extension_id} approved by "
            f"{record.decided_by}; deadline {record.deadline}, lock {record.closes_at}"
        )
    else:
        console.print(
            f"{record.unit_code}: extension {record.extension_id} {record.status} "
            f"by {record.decided_by}"
        )
