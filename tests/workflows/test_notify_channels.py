"""Notification channels against real local servers: a webhook receiver (HTTP, HMAC-signed
JSON) and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import hashlib
import hmac
import json
from email import message_from_bytes

import httpx
import pytest
from aiosmtpd.controller import Controller

from localstack.ports import free_port
from workflows.config import NotifySettings
from workflows.notify import (
    SIGNATURE_HEADER,
    EmailChannel,
    LogChannel,
    Message,
    Skipped,
    WebhookChannel,
    channel_from,
)

SECRET = "webhook-secret"


def message(recipient: str = "c@baiquan.test") -> Message:
    return Message(
        id="haizhou-2026/baiquan-town/overdue:2/contact",
        cycle_code="haizhou-2026",
        unit_code="baiquan-town",
        recipient=recipient,
        recipient_role="contact",
        kind="overdue",
        subject="OVERDUE: 2 evidence item(s) still missing (baiquan-town)",
        body="Still missing (2):\n  - annual-work-plan\n  - 会议纪要",
        point="overdue:2",
        evidence_keys=["annual-work-plan", "会议纪要"],
    )


async def test_webhook_posts_signed_json(receiver):
    url, received, _ = receiver
    await WebhookChannel(url, SECRET).send(message())
    [(headers, body)] = received
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] == expected
    assert headers["Idempotency-Key"] == "haizhou-2026/baiquan-town/overdue:2/contact"
    payload = json.loads(body)
    assert (
        payload["evidence_keys"] == ["annual-work-plan", "会议纪要"]
        and payload["kind"] == "overdue"
    )


async def test_webhook_refusal_raises_so_delivery_is_retried(receiver):
    url, _, status = receiver
    status["code"] = 503
    with pytest.raises(httpx.HTTPStatusError):
        await WebhookChannel(url, SECRET).send(message())


def test_webhook_needs_url_and_secret():
    with pytest.raises(ValueError, match="ONEASSESS_WEBHOOK_URL"):
        WebhookChannel("", SECRET)
    with pytest.raises(ValueError, match="ONEASSESS_WEBHOOK_SECRET"):
        WebhookChannel("http://127.0.0.1:1/", "")
    with pytest.raises(ValueError, match="use log, webhook or email"):
        channel_from(NotifySettings(ONEASSESS_NOTIFY_CHANNEL="pigeon"))
    assert isinstance(channel_from(NotifySettings()), LogChannel)


class Inbox:
    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


async def test_email_goes_through_a_real_smtp_server():
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        settings = NotifySettings(
            ONEASSESS_SMTP_PORT=smtp.port, ONEASSESS_SMTP_FROM="kaohe@haizhou.test"
        )
        channel = EmailChannel(settings)
        await channel.send(message())
        with pytest.raises(Skipped, match="no e-mail address for contact of baiquan-town"):
            await channel.send(message(recipient=""))
    finally:
        smtp.stop()
    [envelope] = inbox.envelopes
    assert envelope.mail_from == "kaohe@haizhou.test" and envelope.rcpt_tos == ["c@baiquan.test"]
    mail = message_from_bytes(envelope.content)
    assert mail["Subject"] == "OVERDUE: 2 evidence item(s) still missing (baiquan-town)"
    assert (
        mail["Message-ID"]
        == f"<{hashlib.sha256(message().id.encode()).hexdigest()[:32]}@oneassess>"
    )
    assert "会议纪要" in mail.get_payload(decode=True).decode()
