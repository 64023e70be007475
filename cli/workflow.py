"""The cycle's workflow as the CLI drives it (cycle, extension and audit commands): a Temporal
client for the command, the office's updates, and Temporal's errors in plain words.

For now this goes to Temporal directly through workflows.control; once cycle control is
behind the services' RPCs it goes through the client package like every other command.
"""

from __future__ import annotations

import time
from typing import Any

import psutil
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from cli.common import Refused, acting, settings
from workflows import control


async def connect() -> Client:
    try:
        return await control.connect(settings(), within_seconds=_connect_budget())
    except RuntimeError as err:  # TemporalUnreachable: refused, or no answer in time
        raise Refused(f"{err}: is the stack running (`oneassess up`)?") from None


# A command that needs Temporal answers within 10 s of its start, reachable or not: what is
# left of ANSWER_WITHIN_SECONDS once the CLI has loaded (at least MIN_CONNECT_SECONDS).
ANSWER_WITHIN_SECONDS = 8.0
MIN_CONNECT_SECONDS = 2.0


def _connect_budget() -> float:
    try:
        age = time.time() - psutil.Process().create_time()
    except psutil.Error:
        age = 0.0
    return max(MIN_CONNECT_SECONDS, ANSWER_WITHIN_SECONDS - age)


def who() -> str:
    return f"cli:{acting.value}"


def explain(err: BaseException, cycle_code: str = "") -> str | None:
    """Temporal's refusals in plain words (None for anything else)."""
    if isinstance(err, WorkflowUpdateFailedError):
        cause = err.cause
        return f"refused: {getattr(cause, 'message', None) or cause}"
    if not isinstance(err, RPCError):
        return None
    if err.status == RPCStatusCode.NOT_FOUND and cycle_code:
        return (
            f"no running workflow for cycle {cycle_code!r}: "
            f"start it with `oneassess cycle start {cycle_code}`"
        )
    if err.status == RPCStatusCode.UNAVAILABLE:
        return (
            f"cannot reach Temporal at {settings().temporal_address}: "
            "is the stack running (`oneassess up`)?"
        )
    return f"{err.status.name if err.status else 'error'}: {err.message}"


def explainer(cycle_code: str):
    """`explain` for one cycle, as `common.run` takes it."""
    return lambda err: explain(err, cycle_code)


async def update(cycle_code: str, name: str, argument: Any, result_type: type) -> Any:
    """Send one of the office's updates; the workflow's validator refuses a bad one."""
    client = await connect()
    try:
        return await control.update(client, cycle_code, name, argument, result_type)
    except (WorkflowUpdateFailedError, RPCError) as err:
        raise Refused(explain(err, cycle_code)) from None
