"""What the workflows record through the submissions service: collection windows and
extensions, units' extension requests, notifications and exported workflow histories."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import grpc
import pytest

from oneassess.client.errors import error_reason
from oneassess.submissions.v1 import submissions_service_pb2 as pb
from services.common import audit
from services.common.auth import Role
from services.common.timestamps import timestamp
from tests.support import submissions as s


@pytest.fixture
def stack(submissions_stack):
    return submissions_stack


async def _error(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await call
    return err.value


async def _count(stack, table: str) -> int:
    return await stack.pool("submissions").fetchval(f"SELECT count(*) FROM {table}")


# -- windows -------------------------------------------------------------------------------------


async def test_open_collection_validates_the_window_and_is_idempotent(stack):
    service = stack.as_(Role.SERVICE)
    now = datetime.now(UTC)
    bad = pb.CollectionWindow(
        cycle_code=s.CYCLE, opens_at=timestamp(now), deadline=timestamp(now - timedelta(days=1))
    )
    err = await _error(
        service.submissions.OpenCollection(pb.OpenCollectionRequest(request_id="w0", window=bad))
    )
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "closes_at: is required" in err.details()
    unknown = await _error(
        service.submissions.OpenCollection(
            pb.OpenCollectionRequest(
                request_id="w1",
                window=pb.CollectionWindow(
                    cycle_code="nowhere-2026",
                    opens_at=timestamp(now),
                    deadline=timestamp(now + timedelta(days=1)),
                    closes_at=timestamp(now + timedelta(days=2)),
                ),
            )
        )
    )
    assert unknown.code() == grpc.StatusCode.NOT_FOUND
    assert await _count(stack, "collection_windows") == 0
    window = pb.CollectionWindow(
        cycle_code=s.CYCLE,
        opens_at=timestamp(now),
        deadline=timestamp(now + timedelta(days=1)),
        closes_at=timestamp(now + timedelta(days=2)),
    )
    first = await service.submissions.OpenCollection(
        pb.OpenCollectionRequest(request_id="w2", window=window)
    )
    again = await service.submissions.OpenCollection(
        pb.OpenCollectionRequest(request_id="w2", window=window)
    )
    assert first == again and first.window == window
    assert (await audit.verify(stack.pool("submissions"))).entries == 1
    unit = stack.as_(Role.UNIT, unit=s.UNIT)
    err = await _error(
        unit.submissions.OpenCollection(pb.OpenCollectionRequest(request_id="w3", window=window))
    )
    assert err.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_close_collection_locks_every_unit_but_extended_ones(stack):
    await s.open_window(stack.admin)
    service = stack.as_(Role.SERVICE)
    later = datetime.now(UTC) + timedelta(days=3)
    await service.submissions.ExtendUnit(
        pb.ExtendUnitRequest(
            request_id="x",
            cycle_code=s.CYCLE,
            unit_code=s.OTHER_UNIT,
            deadline=timestamp(later),
            reason="flood",
        )
    )
    closed = await service.submissions.CloseCollection(
        pb.CloseCollectionRequest(request_id="c", cycle_code=s.CYCLE)
    )
    assert closed.window.closes_at.ToDatetime(tzinfo=UTC) <= datetime.now(UTC)
    assert closed.window.deadline.ToDatetime() <= closed.window.closes_at.ToDatetime()
    err = await _error(s.upload(stack.as_(Role.UNIT, unit=s.UNIT), s.pdf()))
    assert error_reason(err) == "ASK_LOCKED"
    extended = await s.upload(stack.as_(Role.UNIT, unit=s.OTHER_UNIT), s.pdf(), unit=s.OTHER_UNIT)
    assert extended.submission.version == 1
    status = await service.submissions.GetAskStatus(
        pb.GetAskStatusRequest(cycle_code=s.CYCLE, unit_code=s.OTHER_UNIT)
    )
    assert status.deadline.ToDatetime(tzinfo=UTC) == later


async def test_extend_and_close_need_an_opened_collection_and_a_unit_of_the_cycle(stack):
    service = stack.as_(Role.SERVICE)
    tomorrow = timestamp(datetime.now(UTC) + timedelta(days=1))
    err = await _error(
        service.submissions.ExtendUnit(
            pb.ExtendUnitRequest(
                request_id="a", cycle_code=s.CYCLE, unit_code=s.UNIT, deadline=tomorrow
            )
        )
    )
    assert (
        err.code() == grpc.StatusCode.FAILED_PRECONDITION
        and error_reason(err) == "COLLECTION_NOT_OPEN"
    )
    err = await _error(
        service.submissions.CloseCollection(
            pb.CloseCollectionRequest(request_id="b", cycle_code=s.CYCLE)
        )
    )
    assert err.code() == grpc.StatusCode.FAILED_PRECONDITION
    await s.open_window(stack.admin)
    err = await _error(
        service.submissions.ExtendUnit(
            pb.ExtendUnitRequest(
                request_id="c", cycle_code=s.CYCLE, unit_code="atlantis", deadline=tomorrow
            )
        )
    )
    assert err.code() == grpc.StatusCode.NOT_FOUND and error_reason(err) == "UNIT_NOT_IN_CYCLE"
    assert await _count(stack, "unit_extensions") == 0


# -- extension requests --------------------------------------------------------------------------


async def test_a_unit_requests_an_extension_committed_with_its_outbox_signal(stack):
    await s.open_window(stack.admin)
    unit = stack.as_(Role.UNIT, unit=s.UNIT)
    request = pb.RequestExtensionRequest(
        request_id="r1", cycle_code=s.CYCLE, unit_code=s.UNIT, days=7, reason="typhoon damage"
    )
    first = await unit.submissions.RequestExtension(request)
    again = await unit.submissions.RequestExtension(request)
    assert first == again
    row = await stack.pool("submissions").fetchrow(
        "SELECT workflow_id, signal, payload FROM outbox"
    )
    assert (row["workflow_id"], row["signal"]) == (f"cycle/{s.CYCLE}", "extension_requested")
    assert row["payload"]["extension_id"] == first.extension_id and row["payload"]["days"] == 7
    assert row["payload"]["requested_by"] == f"unit:{s.UNIT}"


@pytest.mark.parametrize(
    ("days", "reason", "unit_code", "code", "text"),
    [
        (0, "why", s.UNIT, grpc.StatusCode.INVALID_ARGUMENT, "days: must be 1 to 60"),
        (61, "why", s.UNIT, grpc.StatusCode.INVALID_ARGUMENT, "days: must be 1 to 60"),
        (3, "  ", s.UNIT, grpc.StatusCode.INVALID_ARGUMENT, "reason: is required"),
        (3, "why", s.OTHER_UNIT, grpc.StatusCode.PERMISSION_DENIED, "may not act for unit"),
    ],
)
async def test_bad_extension_requests_change_nothing(stack, days, reason, unit_code, code, text):
    await s.open_window(stack.admin)
    unit = stack.as_(Role.UNIT, unit=s.UNIT)
    err = await _error(
        unit.submissions.RequestExtension(
            pb.RequestExtensionRequest(
                request_id="r", cycle_code=s.CYCLE, unit_code=unit_code, days=days, reason=reason
            )
        )
    )
    assert err.code() == code and text in err.details()
    assert await _count(stack, "extension_requests") == 0 and await _count(stack, "outbox") == 0


# -- notifications -------------------------------------------------------------------------------


def _notification(**overrides) -> pb.Notification:
    values = {
        "id": "haizhou-2026/baiquan-town/before:3d/contact",
        "cycle_code": s.CYCLE,
        "unit_code": s.UNIT,
        "recipient": "contact@baiquan.example",
        "recipient_role": pb.RECIPIENT_ROLE_CONTACT,
        "kind": pb.NOTIFICATION_KIND_REMINDER,
        "channel": pb.NOTIFICATION_CHANNEL_EMAIL,
        "outcome": pb.NOTIFICATION_OUTCOME_SENT,
        "subject": "3 days left",
        "body": "Still missing: annual-work-plan",
        "evidence_keys": [s.KEY],
        "point": "before:3d",
    }
    values.update(overrides)
    return pb.Notification(**values)


async def test_notifications_are_recorded_once_by_id_and_listed_per_unit(stack):
    service = stack.as_(Role.SERVICE)
    first = await service.submissions.RecordNotification(
        pb.RecordNotificationRequest(notification=_notification())
    )
    retry = await service.submissions.RecordNotification(
        pb.RecordNotificationRequest(notification=_notification(subject="changed on retry"))
    )
    assert retry.notification == first.notification and first.notification.subject == "3 days left"
    assert first.notification.HasField("at")
    await service.submissions.RecordNotification(
        pb.RecordNotificationRequest(
            notification=_notification(
                id="n2",
                unit_code=s.OTHER_UNIT,
                outcome=pb.NOTIFICATION_OUTCOME_FAILED,
                error="SMTP 550",
            )
        )
    )
    auditor = stack.as_(Role.AUDITOR)
    everything = await auditor.submissions.ListNotifications(
        pb.ListNotificationsRequest(cycle_code=s.CYCLE)
    )
    assert [n.id for n in everything.notifications] == [first.notification.id, "n2"]
    paged = await auditor.submissions.ListNotifications(
        pb.ListNotificationsRequest(cycle_code=s.CYCLE, page_size=1)
    )
    rest = await auditor.submissions.ListNotifications(
        pb.ListNotificationsRequest(
            cycle_code=s.CYCLE, page_size=1, page_token=paged.next_page_token
        )
    )
    assert [n.id for n in [*paged.notifications, *rest.notifications]] == [
        first.notification.id,
        "n2",
    ]
    own = await stack.as_(Role.UNIT, unit=s.UNIT).submissions.ListNotifications(
        pb.ListNotificationsRequest(cycle_code=s.CYCLE)
    )
    assert [n.unit_code for n in own.notifications] == [s.UNIT]


async def test_a_repeated_notification_request_returns_the_original_response(stack):
    """AIP-155: the request id answers a repeat with the first response; another request
    under the same id is refused and stores nothing."""
    service = stack.as_(Role.SERVICE)
    request = pb.RecordNotificationRequest(request_id="r-1", notification=_notification())
    first = await service.submissions.RecordNotification(request)
    repeat = await service.submissions.RecordNotification(request)
    assert repeat == first
    other = pb.RecordNotificationRequest(
        request_id="r-1", notification=_notification(id="n-other", subject="another")
    )
    err = await _error(service.submissions.RecordNotification(other))
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and "request_id" in err.details()
    assert await _count(stack, "notifications") == 1
    assert await _count(stack, "idempotency") == 1


@pytest.mark.parametrize(
    ("overrides", "text"),
    [
        ({"id": ""}, "notification.id: is required"),
        (
            {"channel": pb.NOTIFICATION_CHANNEL_UNSPECIFIED},
            "notification.channel: '' is not one of log, webhook, email",
        ),
        ({"outcome": 99}, "notification.outcome: '99' is not one of"),
        ({"kind": pb.NOTIFICATION_KIND_UNSPECIFIED}, "notification.kind: is required"),
        (
            {"outcome": pb.NOTIFICATION_OUTCOME_FAILED},
            "notification.error: a failed notification needs its error text",
        ),
        ({"unit_code": "", "department": ""}, "a unit or a department"),
    ],
)
async def test_bad_notifications_are_refused(stack, overrides, text):
    err = await _error(
        stack.as_(Role.SERVICE).submissions.RecordNotification(
            pb.RecordNotificationRequest(notification=_notification(**overrides))
        )
    )
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and text in err.details()
    assert await _count(stack, "notifications") == 0


# -- history exports -----------------------------------------------------------------------------


def _history(events: int = 3) -> bytes:
    return json.dumps({"events": [{"eventId": str(i)} for i in range(1, events + 1)]}).encode()


def _export(**overrides) -> pb.HistoryExport:
    values = {
        "workflow_id": f"cycle/{s.CYCLE}/unit/{s.UNIT}",
        "run_id": "run-1",
        "workflow_type": "UnitWorkflow",
        "cycle_code": s.CYCLE,
        "unit_code": s.UNIT,
        "close_time": timestamp(datetime.now(UTC)),
        "event_count": 3,
    }
    values.update(overrides)
    return pb.HistoryExport(**values)


async def test_a_history_is_stored_once_hashed_and_returned_byte_for_byte(stack):
    service = stack.as_(Role.SERVICE)
    data = _history()
    stored = await service.submissions.StoreHistoryExport(
        pb.StoreHistoryExportRequest(request_id="h1", export=_export(), history_json=data)
    )
    assert stored.created and stored.export.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.export.size_bytes == len(data)
    again = await service.submissions.StoreHistoryExport(
        pb.StoreHistoryExportRequest(request_id="h2", export=_export(), history_json=data)
    )
    assert not again.created and again.export.sha256 == stored.export.sha256
    blob = stack.settings.blobs / "sha256" / stored.export.sha256[:2] / stored.export.sha256
    assert blob.read_bytes() == data
    assert len(list((stack.settings.blobs / "sha256").glob("*/*"))) == 1
    entries = await stack.pool("submissions").fetch("SELECT action, payload FROM audit_log")
    assert [(e["action"], e["payload"]["sha256"]) for e in entries] == [
        ("history.exported", stored.export.sha256)
    ]

    auditor = stack.as_(Role.AUDITOR)
    got = await auditor.submissions.GetHistoryExport(
        pb.GetHistoryExportRequest(workflow_id=_export().workflow_id)
    )
    assert got.history_json == data and got.export.run_id == "run-1"
    listed = await auditor.submissions.ListHistoryExports(
        pb.ListHistoryExportsRequest(cycle_code=s.CYCLE)
    )
    assert [e.workflow_id for e in listed.exports] == [_export().workflow_id]

    blob.chmod(0o644)
    blob.write_bytes(data.replace(b'"1"', b'"9"'))  # a changed byte on disk
    tampered = await auditor.submissions.GetHistoryExport(
        pb.GetHistoryExportRequest(workflow_id=_export().workflow_id, run_id="run-1")
    )
    assert hashlib.sha256(tampered.history_json).hexdigest() != tampered.export.sha256


async def test_the_same_run_with_other_bytes_is_refused(stack):
    service = stack.as_(Role.SERVICE)
    await service.submissions.StoreHistoryExport(
        pb.StoreHistoryExportRequest(request_id="h1", export=_export(), history_json=_history(3))
    )
    err = await _error(
        service.submissions.StoreHistoryExport(
            pb.StoreHistoryExportRequest(
                request_id="h2", export=_export(), history_json=_history(4)
            )
        )
    )
    assert (
        err.code() == grpc.StatusCode.FAILED_PRECONDITION
        and error_reason(err) == "HISTORY_EXPORT_DIFFERS"
    )
    assert len(list((stack.settings.blobs / "sha256").glob("*/*"))) == 1


@pytest.mark.parametrize(
    ("export", "data", "text"),
    [
        (_export(run_id=""), _history(), "export.run_id: is required"),
        (_export(sha256="0" * 64), _history(), "export.sha256: declared 000"),
        (_export(size_bytes=1), _history(), "export.size_bytes: declared 1"),
        (_export(), b"", "history_json: is empty"),
        (_export(), b'{"events": [', "history_json: is not well-formed JSON"),
    ],
)
async def test_bad_history_exports_store_nothing(stack, export, data, text):
    err = await _error(
        stack.as_(Role.SERVICE).submissions.StoreHistoryExport(
            pb.StoreHistoryExportRequest(request_id="h", export=export, history_json=data)
        )
    )
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT and text in err.details()
    assert await _count(stack, "history_exports") == 0
    assert not list((stack.settings.blobs / "sha256").glob("*/*"))


async def test_an_unknown_export_is_not_found(stack):
    err = await _error(
        stack.as_(Role.AUDITOR).submissions.GetHistoryExport(
            pb.GetHistoryExportRequest(workflow_id="cycle/x")
        )
    )
    assert err.code() == grpc.StatusCode.NOT_FOUND and err.details().startswith("workflow_id:")
