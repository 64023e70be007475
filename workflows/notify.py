"""Notification channels: log (default), webhook (HTTP POST of JSON signed with HMAC-SHA256)
and e-mail (SMTP). A channel either delivers or raises; the notifier around it decides
retries and records the outcome. Every message carries its notification id (webhook header
`Idempotency-Key`, e-mail `Message-ID`), so a receiver can drop a repeat.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import smtplib
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from typing import Protocol

import httpx

from workflows.config import NotifySettings

log = logging.getLogger("oneassess.notifications")

SIGNATURE_HEADER = "X-OneAssess-Signature"


@dataclass
class Message:
    """One notification to one recipient."""

    id: str
    cycle_code: str
    unit_code: str
    recipient: str  # address ("" when the unit has none)
    recipient_role: str  # contact, head, office, assessor
    kind: str  # reminder, overdue, escalation, review_reminder, extension_decided, results
    subject: str
    body: str
    point: str = ""
    department: str = ""
    evidence_keys: list[str] = field(default_factory=list)


class Skipped(Exception):
    """Nothing to deliver to (no address): recorded as skipped, never retried."""


class Channel(Protocol):
    name: str

    async def send(self, message: Message) -> None: ...


class LogChannel:
    name = "log"

    async def send(self, message: Message) -> None:
        log.info("notification %s", json.dumps(asdict(message), ensure_ascii=False, sort_keys=True))


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookChannel:
    name = "webhook"

    def __init__(self, url: str, secret: str, *, timeout: float = 10.0) -> None:
        if not url:
            raise ValueError("ONEASSESS_WEBHOOK_URL is required for the webhook channel")
        if not secret:
            raise ValueError("ONEASSESS_WEBHOOK_SECRET is required for the webhook channel")
        self._url, self._secret, self._timeout = url, secret, timeout

    async def send(self, message: Message) -> None:
        body = json.dumps(asdict(message), ensure_ascii=False, sort_keys=True).encode()
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": message.id,
            SIGNATURE_HEADER: sign(self._secret, body),
        }
        async with httpx.AsyncClient(timeout=self._timeout) as client:
            response = await client.post(self._url, content=body, headers=headers)
        response.raise_for_status()


class EmailChannel:
    name = "email"

    def __init__(self, settings: NotifySettings) -> None:
        self._settings = settings

    async def send(self, message: Message) -> None:
        if "@" not in message.recipient:
            raise Skipped(
                f"no e-mail address for {message.recipient_role}"
                f" of {message.unit_code or message.department}"
            )
        mail = EmailMessage()
        mail["From"] = self._settings.smtp_sender
        mail["To"] = message.recipient
        mail["Subject"] = message.subject
        mail["Message-ID"] = f"<{hashlib.sha256(message.id.encode()).hexdigest()[:32]}@oneassess>"
        mail["X-OneAssess-Notification-Id"] = message.id
        mail.set_content(message.body)
        await asyncio.to_thread(self._deliver, mail)

    def _deliver(self, mail: EmailMessage) -> None:
        cfg = self._settings
        with smtplib.SMTP(cfg.smtp_host, cfg.smtp_port, timeout=30) as smtp:
            if cfg.smtp_starttls:
                smtp.starttls()
            if cfg.smtp_user:
                smtp.login(cfg.smtp_user, cfg.smtp_password)
            smtp.send_message(mail)


def channel_from(settings: NotifySettings) -> Channel:
    if settings.channel == "log":
        return LogChannel()
    if settings.channel == "webhook":
        return WebhookChannel(settings.webhook_url, settings.webhook_secret)
    if settings.channel == "email":
        return EmailChannel(settings)
    raise ValueError(f"ONEASSESS_NOTIFY_CHANNEL={settings.channel!r}: use log, webhook or email")


def digest_body(
    unit_code: str, point: str, deadline: str, missing: list[str], locale: str = ""
) -> tuple[str, str]:
    """Subject and body of one reminder digest: everything still missing, in one message, in
    the shared catalogues' language (Simplified Chinese unless `locale` says otherwise)."""
    from oneassess import i18n  # here, not at import: workflow code never needs the catalogues

    _ = i18n.gettext_for(locale or i18n.DEFAULT_LOCALE)
    overdue = point.split("/")[-1].startswith("overdue")
    values = {"n": len(missing), "unit": unit_code, "deadline": deadline}
    if overdue:
        subject = _("OVERDUE: %(n)s evidence item(s) still missing (%(unit)s)") % values
    else:
        subject = _("Reminder: %(n)s evidence item(s) still missing (%(unit)s)") % values
    lines = [
        _("Unit %(unit)s: deadline %(deadline)s.") % values,
        _("Still missing (%(n)s):") % values,
        *(f"  - {key}" for key in missing),
    ]
    return subject, "\n".join(lines)
