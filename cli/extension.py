"""`oneassess extension request / decide / grant`: a unit asks for more time (through the
submissions service); the office decides or grants (CycleControlService, which authorises the
caller and sends the cycle workflow an update whose validator refuses a bad one before it
enters the history)."""

from __future__ import annotations

import typer

from cli.common import clients, console, fail, request_id, retrying, run, say
from oneassess.client import cycles
from oneassess.indicators.v1 import cycle_control_service_pb2 as cc
from oneassess.submissions.v1 import submissions_service_pb2 as pb

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
    reminders. Office only; the decision names you (and whom you act for).

    Example: oneassess extension decide haizhou-2026 --unit baiquan-town --approve
    """
    if not unit and not extension_id:
        fail("name the request: --unit CODE or --id EXTENSION_ID")

    async def go() -> cc.DecideExtensionResponse:
        async with clients() as svc:
            return await cycles.decide_extension(
                svc,
                cycle_code,
                unit_code=unit,
                extension_id=extension_id,
                approve=approve,
                days=days,
            )

    _print_record(run(go).extension)


@app.command("grant")
def grant(
    cycle_code: str = typer.Argument(..., help="cycle code"),
    unit: str = typer.Option(..., "--unit", help="unit code"),
    days: int = typer.Option(..., "--days", help="1 to 60"),
    reason: str = typer.Option("", "--reason"),
) -> None:
    """Extend a unit without a request from it. Office only.

    Example: oneassess extension grant haizhou-2026 --unit finance --days 5 --reason typhoon
    """

    async def go() -> cc.GrantExtensionResponse:
        async with clients() as svc:
            return await svc.cycles.GrantExtension(
                cc.GrantExtensionRequest(
                    request_id=request_id(),
                    cycle_code=cycle_code,
                    unit_code=unit,
                    days=days,
                    reason=reason,
                )
            )

    _print_record(run(go).extension)


def _print_record(record: cc.ExtensionRequestSummary) -> None:
    if record.status == "approved":
        say(
            f"{record.unit_code}: extension {record.extension_id} approved by "
            f"{record.decided_by}; deadline {record.deadline}, lock {record.closes_at}"
        )
    else:
        say(
            f"{record.unit_code}: extension {record.extension_id} {record.status} "
            f"by {record.decided_by}"
        )
