"""What every CLI command shares: settings, the acting role, service clients, output, errors,
and `run`, the one way a command runs its async part.

Commands are grouped one module per command group and added to the app in cli/main.py.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import uuid
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

import grpc
import typer
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from rich.console import Console

from oneassess.client import retry
from oneassess.client.channels import ServiceClients
from oneassess.client.errors import describe_rpc_error, error_reason
from oneassess.client.tokens import (
    TokenCache,
    TokenError,
    password_login,
    sample_person,
)
from oneassess.config import Settings, load

T = TypeVar("T")

# soft_wrap: a message is never broken into lines, so a path or an id in it can be copied.
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

JSON_OPTION = typer.Option(False, "--json", help="Print machine-readable JSON instead of a table.")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")


@dataclass
class Acting:
    """Who the CLI acts as. `--as admin|auditor|unit:CODE|assessor:DEPT` (explicit) signs in
    as that sample person on the local stack; without it, the person of `oneassess login`,
    else the office head (admin) on the local stack."""

    value: str = "admin"
    explicit: bool = False


acting = Acting()


class Refused(Exception):
    """A command stops with this one line on stderr and exit code 1."""


def settings() -> Settings:
    return load()


def bearer_token(cfg: Settings) -> str:
    if cfg.token:
        return cfg.token
    cache = TokenCache(cfg.home)
    current = cache.current()
    if current and not acting.explicit:
        token = cache.get(current)
        if token is None:
            raise Refused(f"the sign-in of {current} has expired: oneassess login {current}")
        return token.access_token
    remote = [
        cfg.address_of(name)
        for name in ("indicators", "submissions", "scoring")
        if cfg.address_of(name).rsplit(":", 1)[0] not in LOCAL_HOSTS
    ]
    if remote:
        # The sample people exist on the local stack only; a city's people sign in for real.
        raise Refused(
            f"{remote[0]} is not the local stack: sign in with `oneassess login` or set "
            "ONEASSESS_TOKEN to a token issued for you (--as only works against `oneassess up`)"
        )
    try:
        return login_as(cfg, acting.value, current=False).access_token
    except ValueError as err:  # an unknown role, a unit role without its code...
        raise Refused(str(err)) from None


def login_as(cfg: Settings, as_value: str, *, current: bool):
    """Sign in at the local issuer as the sample person of `--as` (a cached token while it is
    fresh); the token is kept in ONEASSESS_HOME/tokens (0600)."""
    person = sample_person(cfg.people_file, as_value)
    cache = TokenCache(cfg.home)
    token = cache.get(person.sub)
    if token is None:
        try:
            token = password_login(cfg, person.sub, person.password)
        except TokenError as err:
            raise Refused(f"{err} (is the stack running? `oneassess up`)") from None
    cache.put(token, current=current)
    return token


@asynccontextmanager
async def clients():
    """The three services' clients acting as `--as`; their channels close before the loop ends."""
    cfg = settings()
    svc = ServiceClients.from_settings(cfg, bearer_token(cfg), on_behalf_of=cfg.on_behalf_of)
    try:
        yield svc
    finally:
        await svc.close()


def request_id() -> str:
    return str(uuid.uuid4())


async def retrying(attempt: Callable[[], Awaitable[T]], what: str = "the call") -> T:
    """`attempt()` (one RPC with its request id fixed), sent again while the server answers
    UNAVAILABLE, for ONEASSESS_RETRY_SECONDS, saying on stderr that it is waiting."""

    def say_waiting(waiting: retry.Waiting) -> None:
        err_console.print(
            waiting.line(what), style="yellow", markup=False, highlight=False, soft_wrap=True
        )

    return await retry.call(
        attempt, policy=retry.RetryPolicy.from_settings(settings()), on_wait=say_waiting
    )


def to_dict(message: Message) -> dict[str, Any]:
    return MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )


def print_json(value: Any) -> None:
    if isinstance(value, Message):
        value = to_dict(value)
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False) + "\n")


def say(text: str) -> None:
    """One line (or several) of plain output: no highlighting, wrapped by the terminal."""
    console.print(text, highlight=False, soft_wrap=True)


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def rpc_error_text(err: grpc.aio.AioRpcError) -> str:
    """A received gRPC error in plain words, with every field violation."""
    code, message, violations = describe_rpc_error(err)
    if code == "UNAVAILABLE" and error_reason(err) == "TEMPORAL_UNAVAILABLE":
        return message  # the service's own sentence: which Temporal, and what to do
    if code == "UNAVAILABLE" and error_reason(err) == "DEPENDENCY_UNAVAILABLE":
        return (
            f"the service runs but cannot work right now ({message}); "
            "try again later (`oneassess status` says why)"
        )
    if code == "UNAVAILABLE":
        return (
            f"cannot reach the service ({err.details()}). Is the stack running? "
            "Start it with `oneassess up` (or set *_ADDRESS)."
        )
    detail = "\n".join(f"  - {v}" for v in violations if v not in message)
    return f"{code}: {message}" + (f"\n{detail}" if detail else "")


def _known(err: BaseException) -> str | None:
    if isinstance(err, Refused):
        return str(err)
    if isinstance(err, grpc.aio.AioRpcError):
        return rpc_error_text(err)
    if isinstance(err, FileNotFoundError):
        return f"file not found: {err.filename}"
    return None


@dataclass
class _Outcome:
    value: Any = None
    message: str | None = None  # refused with this line
    exit_code: int | None = None  # stopped with this code, its message already printed


async def _settle(
    coro_factory: Callable[[], Awaitable[Any]], explain: Callable[[BaseException], str | None]
) -> _Outcome:
    """Await the command inside the loop and turn every failure into plain data, so no
    traceback keeps a gRPC channel or a Temporal client alive past the loop's end."""
    try:
        return _Outcome(value=await coro_factory())
    except typer.Exit as stop:
        return _Outcome(exit_code=stop.exit_code)
    except Exception as err:
        message = explain(err) or _known(err)
        if message is None:
            raise
        return _Outcome(message=message)
    finally:
        # Objects bound to this loop (channels, the Temporal client and its bridge) are
        # collected now, while the loop still runs, not at interpreter exit.
        gc.collect()


def run(
    coro_factory: Callable[[], Awaitable[T]],
    explain: Callable[[BaseException], str | None] = lambda err: None,
) -> T:
    """Run a command's async part in one event loop, then print any failure in plain words
    and exit non-zero. `explain` words other errors (None: not one it knows)."""
    outcome = asyncio.run(_settle(coro_factory, explain))
    if outcome.exit_code is not None:
        raise typer.Exit(outcome.exit_code)
    if outcome.message is not None:
        fail(outcome.message)
    return outcome.value
