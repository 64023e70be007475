"""`oneassess evidence download` writes to a name it derives itself (unit, key, version,
judged format), never to the uploader's file name, and never replaces a file without --force."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from oneassess.submissions.v1 import submissions_service_pb2 as pb
from services.common.auth import Role
from tests.conftest import issuer_environment, start_stack, stop_stack
from tests.support import submissions as s

pytestmark = pytest.mark.hostile


async def _download(settings, cwd, *args: str) -> tuple[int, str]:
    env = {
        **os.environ,
        "ONEASSESS_HOME": str(settings.home),
        **issuer_environment(),
        "INDICATORS_ADDRESS": f"127.0.0.1:{settings.indicators_port}",
        "SUBMISSIONS_ADDRESS": f"127.0.0.1:{settings.submissions_port}",
        "SCORING_ADDRESS": f"127.0.0.1:{settings.scoring_port}",
        "COLUMNS": "200",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli.main", "evidence", "download", *args, "--as", "auditor",
        env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await process.communicate()
    return process.returncode, stdout.decode() + stderr.decode()


async def test_download_uses_a_derived_name_and_never_overwrites_without_force(settings, tmp_path):
    stack = await start_stack(settings, ("indicators", "submissions"))
    try:
        await s.fold_example(stack.admin)
        await s.open_window(stack.admin)
        data = s.pdf()
        uploaded = await s.upload(stack.as_(Role.UNIT, unit=s.UNIT), data, file_name="bashrc.pdf")
        submission: pb.Submission = uploaded.submission
        expected = tmp_path / f"{s.UNIT}_{s.KEY}_v1.pdf"

        code, output = await _download(settings, tmp_path, submission.id)
        assert code == 0, output
        assert expected.read_bytes() == data
        assert not (tmp_path / "bashrc.pdf").exists()

        expected.write_bytes(b"mine")
        code, output = await _download(settings, tmp_path, submission.id)
        assert code == 1 and "exists" in output and "--force" in output
        assert expected.read_bytes() == b"mine"

        mine = tmp_path / "chosen.pdf"
        mine.write_bytes(b"also mine")
        code, output = await _download(settings, tmp_path, submission.id, "-o", str(mine))
        assert code == 1 and mine.read_bytes() == b"also mine"

        code, output = await _download(settings, tmp_path, submission.id, "--force")
        assert code == 0, output
        assert expected.read_bytes() == data
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    finally:
        await stop_stack(stack)
