"""`oneassess demo`: the sample city's whole year-end cycle on the local stack."""

from __future__ import annotations

from pathlib import Path

import grpc
import typer

from cli.common import console, fail, run, settings
from oneassess.config import REPO_ROOT

app = typer.Typer()  # its command sits at the top: `oneassess demo`


@app.command("demo")
def demo(
    keep: bool = typer.Option(
        False, "--keep", help="leave the stack running afterwards (explore the Web UI)"
    ),
    span_seconds: float = typer.Option(
        180.0,
        "--span-seconds",
        help="real seconds the whole calendar (opens .. end of appeals) is compressed into",
    ),
    example: Path = typer.Option(
        REPO_ROOT / "examples" / "haizhou-2026",
        "--example",
        help="the city: special-assessments/, units.yaml, cycle.yaml",
    ),
    out: Path = typer.Option(
        None, "--out", help="where results.json and report.html go (default: ONEASSESS_HOME/demo)"
    ),
    seed: int = typer.Option(
        2026, "--seed", help="who is late, who never submits, the reviews: all follow this seed"
    ),
) -> None:
    """Run a whole year-end cycle of the sample city, compressed into a few minutes.

    Example: oneassess demo --keep
    """
    from demo.run import DemoOptions, run_demo

    cfg = settings()
    options = DemoOptions(
        example=example,
        out=out or cfg.home / "demo",
        span_seconds=span_seconds,
        keep=keep,
        seed=seed,
    )
    if span_seconds < 60:
        fail("--span-seconds must be at least 60: the office, units and assessors need time to act")
    logs = cfg.home / "logs"

    def explain(err: BaseException) -> str | None:
        from localstack.stack import StackError  # imported when needed: see cli/stack.py

        if isinstance(err, StackError):
            return str(err)
        if isinstance(err, grpc.aio.AioRpcError):
            return (
                f"a service refused a demo step: {err.code().name}: {err.details()} (logs: {logs})"
            )
        if isinstance(err, TimeoutError):
            return (
                f"the cycle did not run its course: {err} "
                f"(logs: {logs}; try a longer --span-seconds)"
            )
        return None

    run(lambda: run_demo(cfg, options, console), explain)
