"""Long-lived background work that never dies silently: a Supervisor runs a job, logs any
exception it raises (one line with the cause for an outage, a traceback for a bug), waits an
exponential back-off with jitter and starts it again, until it is stopped. The job calls
`beat()` whenever it makes progress, so a job that hangs is reported as stuck.

Readiness reads `problem`: None while the job runs and beats, else why it cannot work.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from services.common.outage import outage_cause

log = logging.getLogger(__name__)
# Longer than the clean-ups a cancelled job runs (closing its LISTEN connection: 2 s at most),
# so a second cancel interrupts only a job that lost the first.
RECANCEL_SECONDS = 3.0


async def cancel_and_wait(tasks: list[asyncio.Task]) -> None:
    """Cancel the tasks and wait until they have ended, cancelling again every
    RECANCEL_SECONDS: code that swallows a cancellation (Python 3.11's asyncio.wait_for does
    when its result lands in the same loop turn) must not keep a stopping service waiting."""
    tasks = list(tasks)  # the caller's list may grow meanwhile
    pending = {t for t in tasks if not t.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=RECANCEL_SECONDS)
    for task in tasks:
        if not task.cancelled():
            task.exception()  # retrieved (a supervised job's errors were logged already)


@dataclass(frozen=True)
class Backoff:
    base_seconds: float = 0.5
    max_seconds: float = 30.0
    # A run that lasted this long was healthy: the next failure starts the back-off again.
    reset_after_seconds: float = 60.0

    def delay(self, failures: int) -> float:
        """Exponential, capped, with jitter over its upper half."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** max(0, failures - 1))
        return ceiling / 2 + random.random() * ceiling / 2


class Supervisor:
    """Runs `job(self)` until stopped, restarting it after any exception."""

    def __init__(
        self,
        name: str,
        job: Callable[[Supervisor], Awaitable[None]],
        *,
        backoff: Backoff | None = None,
        stuck_after_seconds: float | None = 60.0,
    ) -> None:
        self.name = name
        self._job = job
        self.backoff = backoff or Backoff()
        self.stuck_after_seconds = stuck_after_seconds
        self.restarts = 0
        self.last_error = ""
        self._failures = 0
        self._running = False
        self._last_beat = time.monotonic()
        self._task: asyncio.Task | None = None

    def beat(self) -> None:
        """The job made progress (called from inside the job)."""
        self._last_beat = time.monotonic()

    @property
    def problem(self) -> str | None:
        """Why the job cannot work right now, or None while it runs and makes progress."""
        if self._task is None:
            return f"{self.name} not started"
        if self._task.done():
            return f"{self.name} stopped"
        if not self._running:
            return f"{self.name} restarting after: {self.last_error}"
        silent = time.monotonic() - self._last_beat
        if self.stuck_after_seconds is not None and silent > self.stuck_after_seconds:
            return f"{self.name} stuck (no progress for {silent:.0f}s)"
        return None

    def start(self) -> asyncio.Task:
        self._task = asyncio.create_task(self._supervise(), name=f"supervised:{self.name}")
        return self._task

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait([self._task])

    async def __aenter__(self) -> Supervisor:
        self.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    async def _supervise(self) -> None:
        while True:
            started = time.monotonic()
            self._running = True
            self.beat()
            try:
                await self._job(self)
                self.last_error = "returned"
                log.error("%s: returned although it should run until stopped", self.name)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                cause = outage_cause(error)
                self.last_error = cause or f"{type(error).__name__}: {error}"
                if cause is not None:
                    log.warning("%s: %s", self.name, cause)
                else:
                    log.error("%s: failed", self.name, exc_info=error)
            finally:
                self._running = False
            if time.monotonic() - started > self.backoff.reset_after_seconds:
                self._failures = 0
            self._failures += 1
            self.restarts += 1
            delay = self.backoff.delay(self._failures)
            log.warning("%s: restarting in %.1fs (restart %d)", self.name, delay, self.restarts)
            await asyncio.sleep(delay)
