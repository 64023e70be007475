"""google.protobuf.Timestamp <-> aware datetimes, one way for every service and client."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp


def timestamp(moment: datetime | str | None) -> Timestamp | None:
    """A Timestamp of an aware datetime or an ISO 8601 string with an offset; None stays None."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} has no time zone")
    ts = Timestamp()
    ts.FromDatetime(moment.astimezone(UTC))
    return ts


def moment(message, field: str) -> datetime | None:
    """A set Timestamp field as an aware UTC datetime, None when unset."""
    if not message.HasField(field):
        return None
    return getattr(message, field).ToDatetime(tzinfo=UTC)
