"""`oneassess up / down / status / token`: the local stack and the token commands send."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from cli.common import JSON_OPTION, Refused, bearer_token, console, fail, print_json, run, settings

app = typer.Typer()  # its commands sit at the top: `oneassess up`, `oneassess down`...

# localstack (process supervision, httpx) is imported by the commands that use it: every
# other command starts faster without it, and a command that must answer within seconds
# (a refused call, an unreachable Temporal) spends less of them starting.


def _stack_error(err: BaseException) -> str | None:
    from localstack import stack

    return str(err) if isinstance(err, stack.StackError) else None


@app.command("up")
def up() -> None:
    """Start the local stack in the background: PostgreSQL, Temporal, the three services, a worker.

    Example: oneassess up
    """
    from localstack import stack

    cfg = settings()
    ends = run(lambda: stack.up(cfg, progress=console.print), _stack_error)
    console.print()
    for name, address in ends.items():
        console.print(f"  {name:<12} {address}")
    console.print(f"\n  data: {cfg.home}   logs: {cfg.home / 'logs'}   stop: oneassess down")


@app.command("down")
def down() -> None:
    """Stop exactly the processes `oneassess up` started.

    Example: oneassess down
    """
    from localstack import stack

    stopped = stack.down(settings(), progress=console.print)
    if not stopped:
        console.print("nothing was running")


@app.command("status")
def status(json_output: bool = JSON_OPTION) -> None:
    """Show each process of the local stack: state (running, stopped, unhealthy (why)), pid,
    endpoint, detail (restarts, the outbox's backlog), log.

    Example: oneassess status --json
    """
    cfg = settings()
    from localstack.status import status as stack_status

    rows = run(lambda: stack_status(cfg))
    if json_output:
        print_json(rows)
        return
    table = Table("process", "state", "pid", "endpoint", "detail", "log")
    styles = {"running": "green", "stopped": "dim"}
    for row in rows:
        style = styles.get(row["state"], "bold red")
        state = escape(row["state"])
        cells = (row["pid"], row["endpoint"], row["detail"], row["log"])
        table.add_row(row["name"], f"[{style}]{state}[/]", *cells)
    console.print(table)


@app.command("token")
def token() -> None:
    """Print the bearer token later commands send: the signed-in person's (`oneassess login`),
    or, with --as on the local stack, that sample person's (for grpcurl, buf curl, scripts).

    Example: oneassess token --as unit:baiquan-town
    """
    try:
        print(bearer_token(settings()))
    except Refused as err:
        fail(str(err))
