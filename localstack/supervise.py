"""`python -m localstack.supervise`: the local stack's supervisor, started by `oneassess up`.

Once a second it looks at every child of the stack (Temporal, the services, the worker); one
that died (crashed, killed) is started again with the same command and environment, after a
back-off that doubles with each crash in a row (1 s up to 30 s; a child that ran a minute
starts the count again). Each restart is one line in its own log and in the supervisor's log
(`logs/supervisor.log`), naming the child's log; `run/supervisor.json` keeps the counts that
`oneassess status` shows. `oneassess down` stops the supervisor before the children; a
supervisor whose pid file is gone (or names another process) stops by itself.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import time
from dataclasses import asdict, dataclass

from localstack import stack
from oneassess.config import load

log = logging.getLogger("oneassess.stack")

POLL_SECONDS = 1.0
BASE_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 30.0
HEALTHY_AFTER_SECONDS = 60.0


@dataclass
class ChildState:
    restarts: int = 0
    crashes_in_a_row: int = 0
    started_at: float = 0.0  # monotonic, when this supervisor last started it
    restart_at: float | None = None  # monotonic, when it is due to start again
    last_exit: str = ""


def _backoff(crashes_in_a_row: int) -> float:
    return min(MAX_BACKOFF_SECONDS, BASE_BACKOFF_SECONDS * 2 ** max(0, crashes_in_a_row - 1))


def _exit_text(child: subprocess.Popen | None) -> str:
    if child is None or child.returncode is None:
        return "exited"
    if child.returncode < 0:
        try:
            return f"killed by {signal.Signals(-child.returncode).name}"
        except ValueError:
            return f"killed by signal {-child.returncode}"
    return f"exited with code {child.returncode}"


class StackSupervisor:
    def __init__(self) -> None:
        self.settings = load()
        self.paths = stack.Paths(self.settings.home)
        self.state: dict[str, ChildState] = {}
        self.children: dict[str, subprocess.Popen] = {}  # the ones this supervisor started
        self.stopping = False
        self.born = time.monotonic()

    def round(self) -> None:
        """Look at every child once; start again the dead ones that are due."""
        now = time.monotonic()
        with stack.start_lock(self.paths, blocking=False) as locked:
            if not locked:  # `oneassess up` is starting children right now
                return
            for proc in stack.processes(self.settings):
                if self.stopping:
                    return
                state = self.state.setdefault(proc.name, ChildState(started_at=now))
                own = self.children.get(proc.name)
                if own is not None:
                    own.poll()  # reap it if it died
                if stack.alive(self.paths.pid(proc.name)) is not None:
                    continue
                if state.restart_at is None:
                    if now - state.started_at > HEALTHY_AFTER_SECONDS:
                        state.crashes_in_a_row = 0
                    state.crashes_in_a_row += 1
                    state.last_exit = _exit_text(own)
                    delay = _backoff(state.crashes_in_a_row)
                    state.restart_at = now + delay
                    log.warning(
                        "%s %s; starting it again in %.0fs; log: %s",
                        proc.name,
                        state.last_exit,
                        delay,
                        self.paths.log(proc.name),
                    )
                if now < state.restart_at:
                    continue
                self._restart(proc, state)
        self._save()

    def _restart(self, proc: stack.Process, state: ChildState) -> None:
        if proc.port is not None and stack.port_in_use(proc.port):
            log.warning("%s: port %d still in use; waiting", proc.name, proc.port)
            state.restart_at = time.monotonic() + 1.0
            return
        if proc.name == "worker":
            self.paths.worker_ready.unlink(missing_ok=True)
        try:
            child = stack.spawn(
                self.paths,
                proc,
                stack.child_env(self.paths, proc, dict(os.environ)),
                note="restarted by the supervisor",
            )
        except stack.StackError as err:
            log.error("%s", err)
            state.restart_at = time.monotonic() + _backoff(state.crashes_in_a_row + 1)
            return
        self.children[proc.name] = child
        state.restarts += 1
        state.restart_at = None
        state.started_at = time.monotonic()
        log.warning(
            "%s started again (pid %d, restart %d); log: %s",
            proc.name,
            child.pid,
            state.restarts,
            self.paths.log(proc.name),
        )

    def _still_wanted(self) -> bool:
        """False once `down` removed its pid file or the data directory is gone, so a
        supervisor left behind never restarts children nobody wants."""
        try:
            return int(self.paths.pid(stack.SUPERVISOR).read_text().strip()) == os.getpid()
        except (OSError, ValueError):
            # `up` writes the pid file just after starting this process: give it a moment.
            return time.monotonic() - self.born < 10.0

    def _save(self) -> None:
        data = {name: asdict(s) for name, s in self.state.items()}
        target = self.paths.supervisor_state
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(target)

    def _pause(self, seconds: float) -> None:
        """Sleep between rounds in short slices, so SIGTERM is answered within a tenth."""
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(0.1)

    def run(self) -> None:
        def stop(*_) -> None:
            self.stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        log.info("supervising the local stack in %s", self.settings.home)
        while not self.stopping:
            if not self._still_wanted():
                log.info("supervisor: the stack no longer names this supervisor; stopping")
                break
            try:
                self.round()
            except Exception:
                log.exception("supervisor round failed; trying again")
            self._pause(POLL_SECONDS)
        for child in self.children.values():
            child.poll()
        log.info("supervisor stopped")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    StackSupervisor().run()


if __name__ == "__main__":
    main()
