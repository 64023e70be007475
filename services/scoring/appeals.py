"""Appeals (申诉), pure: when a unit may appeal and what a decision must carry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.common.errors import FailedPrecondition


@dataclass(frozen=True, slots=True)
class Window:
    """The appeal window of a cycle's latest run."""

    cycle_code: str
    published_at: datetime | None
    appeal_deadline: datetime | None
    finalized_at: datetime | None


def check_open(window: Window, now: datetime) -> None:
    """Appeals are filed after publication, until the appeal deadline, before finalisation."""
    if window.published_at is None:
        raise FailedPrecondition(
            f"cycle_code: the scores of cycle {window.cycle_code!r} are not published yet; appeals open at publication",
            "NOT_PUBLISHED",
            metadata={"field": "cycle_code"},
        )
    if window.finalized_at is not None:
        raise FailedPrecondition(
            f"cycle_code: the scores of cycle {window.cycle_code!r} are final; no more appeals",
            "FINALIZED",
            metadata={"field": "cycle_code"},
        )
    if window.appeal_deadline is not None and now > window.appeal_deadline:
        raise FailedPrecondition(
            f"cycle_code: the appeal window of cycle {window.cycle_code!r} closed at {window.appeal_deadline.isoformat()}",
            "APPEAL_WINDOW_CLOSED",
            metadata={"field": "cycle_code"},
        )
