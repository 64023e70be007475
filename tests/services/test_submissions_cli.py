"""The evidence commands against real services: submit (with a retry while the service is not
up yet), list, get, download with checksum verification, ask status, extension request."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import dataclass

import pytest

from tests.conftest import issuer_environment, start_stack, stop_stack
from tests.support import submissions as s


def _env(settings) -> dict[str, str]:
    return {
        "ONEASSESS_HOME": str(settings.home),
        **issuer_environment(),
        "INDICATORS_ADDRESS": f"127.0.0.1:{settings.indicators_port}",
        "SUBMISSIONS_ADDRESS": f"127.0.0.1:{settings.submissions_port}",
        "SCORING_ADDRESS": f"127.0.0.1:{settings.scoring_port}",
    }


@dataclass(frozen=True)
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


async def _cli(settings, acting: str, *args: str) -> Result:
    """Run `oneassess ... --as ACTING` as its own process, as a user would."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli.main", *args, "--as", acting,
        env={**os.environ, **_env(settings), "COLUMNS": "200"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await process.communicate()
    return Result(process.returncode, stdout.decode(), stderr.decode())


@pytest.fixture
async def indicators(settings):
    stack = await start_stack(settings, ("indicators",))
    try:  # a failed set-up stops the stack too: nothing outlives its database
        await s.fold_example(stack.admin)
        yield stack
    finally:
        await stop_stack(stack)


async def test_submit_retries_until_the_service_is_up_and_submits_once(
    settings, indicators, tmp_path
):
    path = tmp_path / "年度工作计划.pdf"
    data = s.pdf(2 * 1024 * 1024)
    path.write_bytes(data)
    unit = f"unit:{s.UNIT}"
    # The window is opened first (and the service stopped again): the CLI's retry may land the
    # moment the service is back, before a test could open it.
    opener = await start_stack(settings, ("submissions",))
    try:
        await s.open_window(opener.admin)
    finally:
        await stop_stack(opener)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli.main", "submit", s.CYCLE, str(path), "--unit", s.UNIT,
        "--key", s.KEY, "--json", "--as", unit,
        env={**os.environ, **_env(settings), "COLUMNS": "200"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    # The service starts only once the first attempt has found nothing listening.
    said = await asyncio.wait_for(process.stderr.readline(), timeout=60)
    assert b"retrying with the same request id" in said, said
    submissions = await start_stack(settings, ("submissions",))
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
        result = Result(process.returncode, stdout.decode(), said.decode() + stderr.decode())
        assert result.exit_code == 0, result.output
        response = json.loads(result.stdout)
        assert (
            response["submission"]["version"] == 1
            and response["submission"]["file_name"] == path.name
        )
        assert (
            await submissions.pool("submissions").fetchval("SELECT count(*) FROM submissions") == 1
        )

        listed = await _cli(settings, unit, "evidence", "list", s.CYCLE, "--unit", s.UNIT, "--json")
        assert [x["id"] for x in json.loads(listed.stdout)["submissions"]] == [
            response["submission"]["id"]
        ]
        got = await _cli(
            settings, "auditor", "evidence", "get", response["submission"]["id"], "--json"
        )
        assert json.loads(got.stdout)["submission"]["sha256"] == response["submission"]["sha256"]

        target = tmp_path / "copy.pdf"
        downloaded = await _cli(
            settings,
            "auditor",
            "evidence",
            "download",
            response["submission"]["id"],
            "-o",
            str(target),
        )
        assert downloaded.exit_code == 0, downloaded.output
        assert target.read_bytes() == data and "sha256 verified" in downloaded.stdout

        blob = (
            settings.blobs
            / "sha256"
            / response["submission"]["sha256"][:2]
            / response["submission"]["sha256"]
        )
        blob.chmod(0o644)
        blob.write_bytes(data[:-1] + b"X")
        tampered = tmp_path / "tampered.pdf"
        refused = await _cli(
            settings,
            "auditor",
            "evidence",
            "download",
            response["submission"]["id"],
            "-o",
            str(tampered),
        )
        assert refused.exit_code == 1 and "checksum mismatch" in refused.output
        assert not tampered.exists() and not list(tmp_path.glob(".tampered*"))

        status = await _cli(
            settings, unit, "evidence", "status", s.CYCLE, "--unit", s.UNIT, "--json"
        )
        asks = {a["evidence_key"]: a["state"] for a in json.loads(status.stdout)["asks"]}
        assert asks[s.KEY] == "ASK_STATE_SUBMITTED"
    finally:
        await stop_stack(submissions)


async def test_bad_input_is_printed_in_plain_words(settings, indicators, tmp_path):
    submissions = await start_stack(settings, ("submissions",))
    try:
        await s.open_window(submissions.admin)
        path = tmp_path / "plan.pdf"
        await asyncio.to_thread(path.write_bytes, s.sample("png"))
        result = await _cli(
            settings,
            f"unit:{s.UNIT}",
            "submit",
            s.CYCLE,
            str(path),
            "--unit",
            s.UNIT,
            "--key",
            s.KEY,
        )
        assert result.exit_code == 1
        assert (
            "INVALID_ARGUMENT: declared_format: declared pdf but the bytes are png" in result.output
        )
        requested = await _cli(
            settings,
            f"unit:{s.UNIT}",
            "extension",
            "request",
            s.CYCLE,
            "--unit",
            s.UNIT,
            "--days",
            "7",
            "--reason",
            "typhoon",
        )
        assert requested.exit_code == 0 and "requested 7 more days" in requested.stdout
        assert (
            await submissions.pool("submissions").fetchval(
                "SELECT count(*) FROM extension_requests"
            )
            == 1
        )
        denied = await _cli(
            settings, f"unit:{s.OTHER_UNIT}", "evidence", "list", s.CYCLE, "--unit", s.UNIT
        )
        assert denied.exit_code == 1 and "PERMISSION_DENIED" in denied.output
    finally:
        await stop_stack(submissions)
