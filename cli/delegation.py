"""`oneassess delegation grant / revoke / list`: who may act for whom. The office grants an
office clerk the right to act for another office member (e.g. the head of office) for a
period; the clerk then sets ONEASSESS_ON_BEHALF_OF to that person's subject and every
decision names both. Grants and revocations are audited by the indicators service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import typer
from google.protobuf.timestamp_pb2 import Timestamp
from rich.table import Table

from cli.common import (
    JSON_OPTION,
    clients,
    console,
    fail,
    print_json,
    request_id,
    run,
    say,
    to_dict,
)
from oneassess.indicators.v1 import delegation_service_pb2 as pb

app = typer.Typer(help="Delegations: who may act for whom, for how long.", no_args_is_help=True)


def _when(stamp: Timestamp) -> str:
    return stamp.ToDatetime(tzinfo=UTC).isoformat(timespec="seconds") if stamp.seconds else ""


def _line(d: pb.Delegation) -> str:
    revoked = f"; revoked by {d.revoked_by} at {_when(d.revoked_at)}" if d.revoked_by else ""
    return (
        f"{d.delegation_id}: {d.delegate} may act for {d.delegator} ({d.role}) from "
        f"{_when(d.starts_at)} until {_when(d.ends_at)}; granted by {d.granted_by}{revoked}"
    )


@app.command("grant")
def grant(
    delegate: str = typer.Option(..., "--delegate", help="the person who will act (subject)"),
    delegator: str = typer.Option(..., "--for", help="the person acted for (subject)"),
    days: float = typer.Option(7.0, "--days", help="how long from now, at most 366 days"),
    reason: str = typer.Option("", "--reason", help="why (kept in the trail)"),
) -> None:
    """Let one office member act for another for a period. Office only.

    Example: oneassess delegation grant --delegate li.na --for zhang.wei --days 5 \\
        --reason "head away at the provincial meeting"
    """
    if days <= 0:
        fail(f"--days must be positive, got {days:g}")
    ends = Timestamp()
    ends.FromDatetime(datetime.now(UTC) + timedelta(days=days))

    async def go() -> pb.GrantDelegationResponse:
        async with clients() as svc:
            return await svc.delegations.GrantDelegation(
                pb.GrantDelegationRequest(
                    request_id=request_id(),
                    delegate=delegate,
                    delegator=delegator,
                    ends_at=ends,
                    reason=reason,
                )
            )

    say(_line(run(go).delegation))


@app.command("revoke")
def revoke(delegation_id: str = typer.Argument(..., help="the delegation's id")) -> None:
    """End a delegation now. Office only.

    Example: oneassess delegation revoke dlg-0123456789ab
    """

    async def go() -> pb.RevokeDelegationResponse:
        async with clients() as svc:
            return await svc.delegations.RevokeDelegation(
                pb.RevokeDelegationRequest(request_id=request_id(), delegation_id=delegation_id)
            )

    say(_line(run(go).delegation))


@app.command("list")
def list_delegations(
    delegate: str = typer.Option("", "--delegate", help="only this person's"),
    active: bool = typer.Option(False, "--active", help="only those in force now"),
    json_output: bool = JSON_OPTION,
) -> None:
    """List delegations, newest first. Office and auditors.

    Example: oneassess delegation list --active --as auditor
    """

    async def go() -> list[pb.Delegation]:
        found, token = [], ""
        async with clients() as svc:
            while True:
                page = await svc.delegations.ListDelegations(
                    pb.ListDelegationsRequest(
                        delegate=delegate, active_only=active, page_size=500, page_token=token
                    )
                )
                found += list(page.delegations)
                token = page.next_page_token
                if not token:
                    return found

    found = run(go)
    if json_output:
        print_json([to_dict(d) for d in found])
        return
    table = Table("id", "delegate", "acts for", "from", "until", "granted by", "revoked")
    for d in found:
        table.add_row(
            d.delegation_id,
            d.delegate,
            d.delegator,
            _when(d.starts_at),
            _when(d.ends_at),
            d.granted_by,
            _when(d.revoked_at),
        )
    console.print(table)
