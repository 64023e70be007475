"""The worker process (`python -m workflows.worker`) is killed in the middle of a cycle; a
new worker finishes it, and no reminder is sent twice. Digests go out by e-mail to a real
local SMTP server (aiosmtpd), which counts every message it receives."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from email import message_from_bytes
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from localstack.ports import free_port
from oneassess.submissions.v1 import submissions_service_pb2 as sub
from tests.conftest import REPO
from tests.workflows.fake_services import city
from tests.workflows.harness import eventually, export_summary, fake_stack
from workflows import control

pytestmark = pytest.mark.slow


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def spawn_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "workflows.worker"],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def wait_ready(ready: Path, proc: subprocess.Popen, log: Path) -> None:
    async def polling() -> bool:
        assert proc.poll() is None, log.read_bytes()[-3000:]  # noqa: ASYNC240
        return ready.exists()  # noqa: ASYNC240 - a stat per 100 ms

    await eventually(polling, what="the worker polling")


async def test_killed_worker_is_replaced_and_no_reminder_is_sent_twice(dev_server, tmp_path):
    client = dev_server.client
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    code = f"kill-{uuid.uuid4().hex[:6]}"
    workers: list[subprocess.Popen] = []
    try:
        async with fake_stack(client, tmp_path, run_worker=False) as stack:
            # 20 days to the deadline, 52 in all, run in 60 s: a plan day is ~1.15 s. The
            # server hands a dead worker's tasks to another after its sticky queue times out
            # (10 s), so the points until about then fire late, the rest on time.
            stack.fakes.cities[code] = replace(
                city(code, datetime.now(UTC), 4, asks=2), due_days=20
            )
            env = {
                **os.environ,
                **stack.env,
                "ONEASSESS_NOTIFY_CHANNEL": "email",
                "ONEASSESS_SMTP_HOST": "127.0.0.1",
                "ONEASSESS_SMTP_PORT": str(smtp.port),
                "ONEASSESS_OFFICE_ADDRESS": "office@city.test",
                "ONEASSESS_ASSESSOR_DOMAIN": "dept.test",
                "ONEASSESS_SHUTDOWN_GRACE": "2",
            }
            ready = Path(stack.env["ONEASSESS_HOME"]) / "run" / "worker.ready"
            log = tmp_path / "worker.log"
            workers.append(spawn_worker(env, log))
            await wait_ready(ready, workers[0], log)
            # Started as the indicators service would (the fake services have no cycle
            # control): what is tested here is the worker's restart.
            await control.start_cycle(client, stack.settings, code, span_seconds=60)

            # The first round of digests is out and recorded; the workflow tasks that carry
            # them may not have completed yet, so the new worker re-runs those digests and
            # must find them already delivered. (A kill between the SMTP hand-off and the
            # record, a few milliseconds, would resend once with the same Message-ID.)
            async def first_round_out() -> bool:
                assert workers[0].poll() is None, log.read_text()[-3000:]
                return (
                    sum(
                        n.outcome == sub.NOTIFICATION_OUTCOME_SENT
                        for n in stack.fakes.notifications.values()
                    )
                    >= 4
                )

            await eventually(first_round_out, what="the first digests delivered", every=0.05)
            workers[0].kill()  # no goodbye: SIGKILL mid-cycle
            workers[0].wait()
            sent_before_kill = len(inbox.messages)
            await asyncio.sleep(4)  # no worker polls

            ready.unlink(missing_ok=True)
            workers.append(spawn_worker(env, log))
            await wait_ready(ready, workers[1], log)
            summary = await export_summary(client, code)
            assert summary.exported == 5

            workers[1].send_signal(signal.SIGTERM)  # graceful: exits 0, removes its ready file
            assert workers[1].wait(timeout=30) == 0
            assert not ready.exists()
            records = [n for n in stack.fakes.notifications.values() if n.cycle_code == code]
    finally:
        for proc in workers:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        smtp.stop()

    ids = Counter("".join(m["X-OneAssess-Notification-Id"].split()) for m in inbox.messages)
    assert [i for i, n in ids.items() if n > 1] == []  # nothing sent twice
    assert 4 <= sent_before_kill < len(inbox.messages)  # the new worker sent the rest
    # 4 units x (6 contact digests + 2 to the head + 1 to the office) + 2 assessor digests.
    assert len(ids) == 4 * 9 + 2
    per_unit = Counter(i.split("/")[1] for i in ids if "/assessors/" not in i)
    assert set(per_unit.values()) == {9}
    assert {n.id for n in records if n.outcome == sub.NOTIFICATION_OUTCOME_SENT} == set(ids)
    escalated = sorted(
        m["To"]
        for m in inbox.messages
        if "/overdue:3/" in "".join(m["X-OneAssess-Notification-Id"].split())
    )
    assert [t for t in escalated if t == "office@city.test"] == ["office@city.test"] * 4
