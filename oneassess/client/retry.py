"""Riding out an outage: a call answered UNAVAILABLE (the service restarting, its database or
Temporal out of reach, a dropped connection) is sent again, the same request with the same
request id, after an exponential back-off with jitter, until it succeeds or the total time
runs out. A request id makes a repeat return the original answer, so a retry never
duplicates anything. The CLI, the demo, the worker's activities and uploads all retry here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import grpc
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_delay,
    wait_exponential_jitter,
)

from oneassess.client.errors import error_reason

T = TypeVar("T")

# Worth sending again with the same request id: the server did not (or may not) have acted.
RETRYABLE = frozenset(
    {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.ABORTED}
)
DEFAULT_TOTAL_SECONDS = 150.0  # uploads ride out a database restart of two minutes and more


@dataclass(frozen=True)
class RetryPolicy:
    """How long to keep trying (total) and how the waits between attempts grow."""

    total_seconds: float = DEFAULT_TOTAL_SECONDS
    initial_seconds: float = 0.5
    max_wait_seconds: float = 8.0

    @classmethod
    def from_settings(cls, settings) -> RetryPolicy:
        """ONEASSESS_RETRY_SECONDS (oneassess.config.Settings.retry_seconds)."""
        return cls(total_seconds=settings.retry_seconds)


@dataclass(frozen=True)
class Waiting:
    """What a progress line says while a call waits for the server."""

    error: grpc.aio.AioRpcError
    attempt: int
    waited_seconds: float  # since the first attempt
    next_in_seconds: float
    remaining_seconds: float

    def line(self, what: str = "the call") -> str:
        return (
            f"waiting for the server ({self.error.code().name}: {_short(self.error.details())}); "
            f"retrying with the same request id in {self.next_in_seconds:.1f}s ({what}: "
            f"attempt {self.attempt + 1}, {self.waited_seconds:.0f}s so far, gives up after "
            f"{self.waited_seconds + self.remaining_seconds:.0f}s)"
        )


# RESOURCE_EXHAUSTED reasons that pass once the caller's own earlier calls finish (the
# service caps a caller's uploads in flight): wait and send again, like an outage.
TRANSIENT_LIMITS = frozenset({"TOO_MANY_UPLOADS"})


def retryable(error: BaseException) -> bool:
    """A failure worth trying again with the same request id."""
    if not isinstance(error, grpc.aio.AioRpcError):
        return False
    if error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
        return error_reason(error) in TRANSIENT_LIMITS
    return error.code() in RETRYABLE


def send_interrupted(error: BaseException) -> bool:
    """The client's own gRPC core could not send the next message of a stream because the
    server had already ended the call (it refused early, say TOO_MANY_UPLOADS, or went away);
    grpc then reports INTERNAL and the server's own status is lost. Nothing was stored for an
    unfinished stream, so a call with a request id (an upload) may be sent again."""
    return (
        isinstance(error, grpc.aio.AioRpcError)
        and error.code() == grpc.StatusCode.INTERNAL
        and (
            error.details() == "Internal error from Core"
            or "execute_batch" in (error.debug_error_string() or "")
        )
    )


def _short(details: str | None) -> str:
    text = (details or "").strip().splitlines()
    return text[0][:160] if text else "no details"


async def call(
    attempt: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy | None = None,
    on_wait: Callable[[Waiting], None] = lambda waiting: None,
    retry_on: Callable[[BaseException], bool] = retryable,
) -> T:
    """`await attempt()`, again after each failure `retry_on` accepts (by default `retryable`)
    until `policy.total_seconds` have passed; then the last failure is raised. `attempt` must
    send the same request each time (same request id). `on_wait` hears about each wait before
    it starts."""
    policy = policy or RetryPolicy()

    def before_sleep(state: RetryCallState) -> None:
        waited = state.seconds_since_start or 0.0
        on_wait(
            Waiting(
                error=state.outcome.exception(),
                attempt=state.attempt_number,
                waited_seconds=waited,
                next_in_seconds=state.upcoming_sleep,
                remaining_seconds=max(0.0, policy.total_seconds - waited),
            )
        )

    async for trying in AsyncRetrying(
        retry=retry_if_exception(retry_on),
        wait=wait_exponential_jitter(
            initial=policy.initial_seconds, max=policy.max_wait_seconds, jitter=1.0
        ),
        stop=stop_after_delay(policy.total_seconds),
        reraise=True,
        before_sleep=before_sleep,
    ):
        with trying:
            return await attempt()
    raise AssertionError("unreachable: tenacity re-raises the last failure")
