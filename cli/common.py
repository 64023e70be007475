"""What every CLI command shares: settings, the acting role, service clients, output, errors.

Commands are grouped by area, one module each (catalog, evidence, scores, cycle, audit...),
and registered in oneassess/cli/main.py.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc
import typer
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from rich.console import Console

from oneassess.client.channels import ServiceClients
from oneassess.client.errors import describe_rpc_error
from oneassess.client.tokens import issue_token, parse_as, token_secret
from oneassess.config import Settings, load
from services.common.errors import DomainError

T = TypeVar("T")

console = Console()
err_console = Console(stderr=True)

JSON_OPTION = typer.Option(False, "--json", help="Print machine-readable JSON instead of a table.")


@dataclass
class Acting:
    """The role the CLI acts as: `--as admin|auditor|unit:CODE|assessor:DEPT` (admin by default)."""

    value: str = "admin"


acting = Acting()


def settings() -> Settings:
    return load()


LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def _token(cfg: Settings) -> str:
    if cfg.token:
        return cfg.token
    remote = [
        cfg.address_of(name)
        for name in ("indicators", "submissions", "scoring")
        if cfg.address_of(name).rsplit(":", 1)[0] not in LOCAL_HOSTS
    ]
    if remote:
        # Only the local stack's own secret can sign tokens here; a real deployment issues them.
        raise DomainError(
            f"{remote[0]} is not the local stack: set ONEASSESS_TOKEN to a token issued for you "
            "(--as only works against `oneassess up`)",
            "TOKEN_REQUIRED",
        )
    role, unit, department = parse_as(acting.value)
    return issue_token(
        token_secret(cfg), role, unit=unit, department=department, subject=f"cli:{acting.value}"
    )


@asynccontextmanager
async def clients():
    cfg = settings()
    svc = ServiceClients.from_settings(cfg, _token(cfg))
    try:
        yield svc
    finally:
        await svc.close()


def request_id() -> str:
    return str(uuid.uuid4())


def to_dict(message: Message) -> dict[str, Any]:
    return MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )


def print_json(value: Any) -> None:
    if isinstance(value, Message):
        value = to_dict(value)
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False) + "\n")


def fail(message: str, code: int = 1) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def run(coro_factory: Callable[[], Awaitable[T]]) -> T:
    """Run an async command; print gRPC and domain errors in plain words, exit non-zero."""
    try:
        return asyncio.run(coro_factory())
    except grpc.aio.AioRpcError as err:
        code, message, violations = describe_rpc_error(err)
        if code == "UNAVAILABLE":
            fail(
                f"cannot reach the service ({err.details()}). Is the stack running? "
                "Start it with `oneassess up` (or set *_ADDRESS)."
            )
        detail = "\n".join(f"  - {v}" for v in violations if v not in message)
        fail(f"{code}: {message}" + (f"\n{detail}" if detail else ""))
    except DomainError as err:
        fail(str(err))
    except FileNotFoundError as err:
        fail(f"file not found: {err.filename}")
    raise AssertionError("unreachable")


def command_group(app: typer.Typer, name: str, help_text: str) -> typer.Typer:
    """The `name` command group, shared by every area module that adds commands to it."""
    for group in app.registered_groups:
        if group.name == name and group.typer_instance is not None:
            return group.typer_instance
    sub = typer.Typer(help=help_text, no_args_is_help=True)
    app.add_typer(sub, name=name)
    return sub
