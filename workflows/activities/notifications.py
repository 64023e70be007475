"""Notifications: one digest per unit and reminder point, digests of missing reviews to line
departments, one-off notices. Each message is delivered once (what was already delivered is
skipped on a retry) and its outcome recorded with the submissions service."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

import grpc
from temporalio import activity

from oneassess import i18n
from oneassess.client.channels import ServiceClients
from oneassess.client.paging import all_pages
from oneassess.scoring.v1 import scoring_service_pb2 as sco
from oneassess.submissions.v1 import submissions_service_pb2 as sub
from workflows import timeline
from workflows.activities.calls import NON_RETRYABLE, call, timestamp
from workflows.config import NotifySettings
from workflows.model import (
    AssessorDigestInput,
    DigestInput,
    DigestResult,
    NoticeInput,
    Recipient,
)
from workflows.notify import Channel, Message, Skipped, digest_body


def _(message: str) -> str:
    """Texts people read, from the shared catalogues (Simplified Chinese first)."""
    return i18n.gettext_for(i18n.DEFAULT_LOCALE)(message)


class NotificationActivities:
    def __init__(self, services: ServiceClients, channel: Channel, notify: NotifySettings) -> None:
        self._services = services
        self._channel = channel
        self._notify = notify

    @activity.defn(name="send_unit_digest")
    async def send_unit_digest(self, input: DigestInput) -> DigestResult:
        """One digest per reminder point listing everything still missing, re-checked
        against the submissions service (the outbox relay may still be delivering)."""
        missing = await self._still_missing(input)
        if not missing:
            return DigestResult(sent=[], missing=[], skipped=True, point=input.point)
        subject, body = digest_body(input.unit_code, input.point, input.deadline, missing)
        delivered = await self._delivered(input.cycle_code, input.unit_code)
        sent: list[str] = []
        failed: list[str] = []
        for recipient in input.recipients:
            kind = input.kind if recipient.role == "contact" else "escalation"
            message = Message(
                id=f"{input.cycle_code}/{input.unit_code}/{input.point}/{recipient.role}",
                cycle_code=input.cycle_code,
                unit_code=input.unit_code,
                recipient=self._address(recipient),
                recipient_role=recipient.role,
                kind=kind,
                subject=subject,
                body=body,
                point=input.point,
                evidence_keys=missing,
            )
            (sent if await self._deliver(message, delivered) else failed).append(message.id)
        return DigestResult(sent=sent, missing=missing, point=input.point, failed=failed)

    async def _still_missing(self, input: DigestInput) -> list[str]:
        try:
            reply = await self._services.submissions.GetAskStatus(
                sub.GetAskStatusRequest(cycle_code=input.cycle_code, unit_code=input.unit_code),
                timeout=30,
            )
        except grpc.aio.AioRpcError as err:
            if err.code() in NON_RETRYABLE:
                return input.missing  # the service cannot tell: trust the workflow's view
            raise
        submitted = {a.evidence_key for a in reply.asks if a.state != sub.ASK_STATE_MISSING}
        return [key for key in input.missing if key not in submitted]

    @activity.defn(name="remind_assessors")
    async def remind_assessors(self, input: AssessorDigestInput) -> list[str]:
        reply = await call(
            self._services.scoring.ListMissingReviews,
            sco.ListMissingReviewsRequest(cycle_code=input.cycle_code),
        )
        sent = []
        delivered = await self._delivered(input.cycle_code, "")
        for dept in reply.departments:
            if dept.missing <= 0:
                continue
            address = (
                f"{dept.department}@{self._notify.assessor_domain}"
                if self._notify.assessor_domain
                else dept.department
            )
            values = {
                "department": dept.department,
                "missing": dept.missing,
                "total": dept.total,
                "due": input.review_due,
                "cycle": input.cycle_code,
            }
            lines = [
                _(
                    "Line department %(department)s: %(missing)s of %(total)s reviews still"
                    " missing; reviews are due %(due)s."
                )
                % values,
                *(f"  - {example}" for example in dept.examples),
            ]
            message = Message(
                id=f"{input.cycle_code}/assessors/{dept.department}/{input.point}",
                cycle_code=input.cycle_code,
                unit_code="",
                department=dept.department,
                recipient=address,
                recipient_role="assessor",
                kind="review_reminder",
                subject=_("%(missing)s review(s) still missing in %(cycle)s") % values,
                body="\n".join(lines),
                point=input.point,
            )
            if await self._deliver(message, delivered):
                sent.append(message.id)
        return sent

    @activity.defn(name="send_notice")
    async def send_notice(self, input: NoticeInput) -> list[str]:
        sent = []
        delivered = await self._delivered(input.cycle_code, input.unit_code)
        for recipient in input.recipients:
            message = Message(
                id=f"{input.notification_id}/{recipient.role}",
                cycle_code=input.cycle_code,
                unit_code=input.unit_code,
                recipient=self._address(recipient),
                recipient_role=recipient.role,
                kind=input.kind,
                subject=input.subject,
                body=input.body,
            )
            if await self._deliver(message, delivered):
                sent.append(message.id)
        return sent

    def _address(self, recipient: Recipient) -> str:
        if recipient.role == "office":
            return recipient.address or self._notify.office_address
        return recipient.address

    async def _deliver(self, message: Message, delivered: set[str]) -> bool:
        """Deliver once: skip what was already delivered (a retry after a crash), retry a
        failing channel, record the outcome when it is known. Returns whether delivered."""
        if message.id in delivered:
            return True
        outcome, error = "sent", ""
        try:
            await self._channel.send(message)
        except Skipped as err:
            outcome, error = "skipped", str(err)
        except Exception as err:
            if activity.info().attempt < self._notify.attempts:
                raise  # retried by Temporal; nothing recorded yet
            outcome, error = "failed", f"{type(err).__name__}: {err}"
        await call(
            self._services.submissions.RecordNotification,
            sub.RecordNotificationRequest(
                request_id=message.id,
                notification=sub.Notification(
                    id=message.id,
                    cycle_code=message.cycle_code,
                    unit_code=message.unit_code,
                    department=message.department,
                    recipient=message.recipient or message.recipient_role,
                    recipient_role=_word(
                        sub.RecipientRole, "RECIPIENT_ROLE_", message.recipient_role
                    ),
                    kind=_word(sub.NotificationKind, "NOTIFICATION_KIND_", message.kind),
                    channel=_word(
                        sub.NotificationChannel, "NOTIFICATION_CHANNEL_", self._channel.name
                    ),
                    outcome=_word(sub.NotificationOutcome, "NOTIFICATION_OUTCOME_", outcome),
                    subject=message.subject,
                    body=message.body,
                    evidence_keys=message.evidence_keys,
                    at=timestamp(timeline.iso(datetime.now(UTC))),
                    error=error,
                    point=message.point,
                ),
            ),
        )
        return outcome == "sent"

    async def _delivered(self, cycle_code: str, unit_code: str) -> set[str]:
        """Ids of what was already delivered for this unit (one look-up per digest)."""
        notifications = await all_pages(
            partial(call, self._services.submissions.ListNotifications),
            sub.ListNotificationsRequest(
                cycle_code=cycle_code, unit_code=unit_code, page_size=1000
            ),
            "notifications",
        )
        return {n.id for n in notifications if n.outcome == sub.NOTIFICATION_OUTCOME_SENT}


def _word(enum_type, prefix: str, word: str) -> int:
    """The proto enum value a workflow-side word stands for ("sent" -> *_SENT)."""
    return enum_type.Value(prefix + word.upper())
