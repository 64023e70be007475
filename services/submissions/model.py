"""Pure rules of the submissions service: upload headers, file names, collection windows, ask
states. No I/O; tested directly."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from services.common.errors import FailedPrecondition, InvalidArgument, Violation
from services.submissions import formats

MAX_FILE_NAME_BYTES = 255
MAX_CHUNK_BYTES = 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


# Windows device names: a file called CON.pdf or nul.txt cannot be created (or worse, opens the
# device) on the machine of whoever downloads it.
DEVICE_NAMES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"COM{i}" for i in range(10)}
    | {f"LPT{i}" for i in range(10)}
    | {f"COM{d}" for d in "¹²³"}
    | {f"LPT{d}" for d in "¹²³"}
)


def sanitise_file_name(name: str) -> str:
    """The name as stored: NFC, trimmed. Names that could act as a path, hide their extension
    (bidi controls and other invisible formatting characters), name a device (CON, NUL...)
    or a hidden file (a leading dot) are refused, not fixed."""
    clean = unicodedata.normalize("NFC", name).strip()
    if not clean:
        raise InvalidArgument.field("file_name", "is required")
    if any(unicodedata.category(ch) == "Cc" for ch in clean):
        raise InvalidArgument.field("file_name", "must not contain NUL or control characters")
    if any(unicodedata.category(ch) in ("Cf", "Zl", "Zp") for ch in clean):
        raise InvalidArgument.field(
            "file_name",
            "must not contain invisible formatting characters (such as a right-to-left "
            "override, which disguises the real extension)",
        )
    if "/" in clean or "\\" in clean:
        raise InvalidArgument.field("file_name", "must be a bare name, not a path (no '/' or '\\')")
    if ".." in clean or clean == ".":
        raise InvalidArgument.field("file_name", "must not contain '..' or be '.'")
    if clean.startswith("."):
        raise InvalidArgument.field("file_name", "must not start with '.' (a hidden file)")
    stem = clean.split(".", 1)[0].rstrip(" ").upper()
    if stem in DEVICE_NAMES:
        raise InvalidArgument.field(
            "file_name", f"must not be a device name ({stem}): rename the file"
        )
    if clean.endswith((".", " ")):
        raise InvalidArgument.field("file_name", "must not end with '.' or a space")
    if len(clean.encode()) > MAX_FILE_NAME_BYTES:
        raise InvalidArgument.field(
            "file_name",
            f"is {len(clean.encode())} bytes long; at most {MAX_FILE_NAME_BYTES} bytes (UTF-8)",
        )
    return clean


@dataclass(frozen=True)
class UploadPlan:
    """A validated upload header."""

    request_id: str
    cycle_code: str
    unit_code: str
    evidence_key: str
    file_name: str
    declared_format: str
    size_bytes: int
    sha256: str
    effective_date: date | None


def plan_upload(header, *, max_bytes: int) -> UploadPlan:
    """Validate an UploadHeader; every problem is reported at once."""
    problems: list[Violation] = []

    def attempt(check):
        try:
            return check()
        except InvalidArgument as err:
            problems.extend(err.violations)
            return None

    for field in ("cycle_code", "unit_code", "evidence_key"):
        if not getattr(header, field).strip():
            problems.append(Violation(field, "is required"))
    file_name = attempt(lambda: sanitise_file_name(header.file_name))
    declared = attempt(lambda: formats.normalise(header.declared_format))
    if header.size_bytes <= 0:
        problems.append(
            Violation(
                "size_bytes",
                f"must be positive: zero-byte files are refused (got {header.size_bytes})",
            )
        )
    elif header.size_bytes > max_bytes:
        problems.append(
            Violation(
                "size_bytes", f"{header.size_bytes} bytes is over the limit of {max_bytes} bytes"
            )
        )
    sha256 = header.sha256.strip().lower()
    if sha256 and not _SHA256.match(sha256):
        problems.append(Violation("sha256", "must be 64 hex digits (lowercase sha256) or empty"))
    effective = attempt(lambda: parse_effective_date(header.effective_date))
    if problems:
        raise InvalidArgument.many("upload header was rejected", problems)
    return UploadPlan(
        request_id=header.request_id.strip(),
        cycle_code=header.cycle_code.strip(),
        unit_code=header.unit_code.strip(),
        evidence_key=header.evidence_key.strip(),
        file_name=file_name,
        declared_format=declared,
        size_bytes=header.size_bytes,
        sha256=sha256,
        effective_date=effective,
    )


def parse_effective_date(value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as err:
        raise InvalidArgument.field(
            "effective_date", f"{value!r} is not a date YYYY-MM-DD"
        ) from err


class StreamTally:
    """Counts streamed bytes against the declared size as chunks arrive."""

    def __init__(self, declared_size: int) -> None:
        self.declared = declared_size
        self.received = 0

    def add(self, chunk: bytes) -> None:
        if len(chunk) > MAX_CHUNK_BYTES:
            raise InvalidArgument.field(
                "chunk", f"{len(chunk)} bytes is over {MAX_CHUNK_BYTES} bytes per message"
            )
        self.received += len(chunk)
        if self.received > self.declared:
            raise InvalidArgument(
                f"size_bytes: more bytes were streamed than the declared {self.declared}",
                "SIZE_MISMATCH",
                metadata={"field": "size_bytes"},
            )

    def finish(self, sha256: str, declared_sha256: str) -> None:
        if self.received != self.declared:
            raise InvalidArgument(
                f"size_bytes: declared {self.declared} bytes but {self.received} were streamed",
                "SIZE_MISMATCH",
                metadata={"field": "size_bytes"},
            )
        if declared_sha256 and declared_sha256 != sha256:
            raise InvalidArgument(
                f"sha256: declared {declared_sha256} but the bytes hash to {sha256}",
                "SHA256_MISMATCH",
                metadata={"field": "sha256"},
            )


# -- collection windows ------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """When a cycle (or one extended unit) accepts uploads and when first submissions turn late."""

    opens_at: datetime
    deadline: datetime
    closes_at: datetime


def check_window(
    opens_at: datetime | None, deadline: datetime | None, closes_at: datetime | None
) -> Window:
    problems = [
        Violation(name, "is required")
        for name, v in (("opens_at", opens_at), ("deadline", deadline), ("closes_at", closes_at))
        if v is None
    ]
    if problems:
        raise InvalidArgument.many("collection window was rejected", problems)
    if not opens_at < deadline:
        problems.append(Violation("deadline", "must be after opens_at"))
    if closes_at < deadline:
        problems.append(Violation("closes_at", "must not be before the deadline"))
    if problems:
        raise InvalidArgument.many("collection window was rejected", problems)
    return Window(opens_at, deadline, closes_at)


def unit_window(cycle: Window, extension: tuple[datetime, datetime] | None) -> Window:
    """The window in force for one unit: its approved extension overrides the cycle's."""
    if extension is None:
        return cycle
    deadline, closes_at = extension
    return Window(cycle.opens_at, deadline, closes_at)


def closed_window(cycle: Window, closes_at: datetime) -> Window:
    """The cycle's window after closing it at `closes_at` (the deadline never passes the lock)."""
    closes_at = max(closes_at, cycle.opens_at)
    return Window(cycle.opens_at, min(cycle.deadline, closes_at), closes_at)


def require_collecting(
    cycle_code: str, unit_code: str, window: Window | None, now: datetime
) -> None:
    """Uploads are accepted from opens_at up to (not including) the unit's closes_at."""
    if window is None:
        raise FailedPrecondition(
            f"cycle_code: cycle {cycle_code!r} is not collecting evidence (collection not opened)",
            "COLLECTION_NOT_OPEN",
            metadata={"field": "cycle_code"},
        )
    if now < window.opens_at:
        raise FailedPrecondition(
            f"cycle_code: collection for {cycle_code!r} opens at {window.opens_at.isoformat()}",
            "COLLECTION_NOT_OPEN",
            metadata={"field": "cycle_code"},
        )
    if now >= window.closes_at:
        raise FailedPrecondition(
            f"evidence_key: the asks of unit {unit_code!r} locked at {window.closes_at.isoformat()}"
            " (ask for an extension)",
            "ASK_LOCKED",
            metadata={"field": "evidence_key"},
        )


MISSING, SUBMITTED, LATE = "missing", "submitted", "late"


def ask_state(first_submitted_at: datetime | None, deadline: datetime | None) -> str:
    """Missing until a first submission; late when that came after the unit's deadline."""
    if first_submitted_at is None:
        return MISSING
    if deadline is not None and first_submitted_at > deadline:
        return LATE
    return SUBMITTED


# -- extension requests, notifications, history exports ---------------------------------------

MAX_EXTENSION_DAYS = 60
CHANNELS = ("log", "webhook", "email")
OUTCOMES = ("sent", "failed", "skipped")
RECIPIENT_ROLES = ("contact", "head", "office", "assessor")
NOTIFICATION_KINDS = (
    "reminder", "overdue", "escalation", "review_reminder", "extension_decided", "results",
)  # fmt: skip


# A unit's extension requests are kept in full here (the cycle workflow is told their ids and
# short facts): a reason of at most this many characters, at most this many requests per unit
# per cycle.
MAX_EXTENSION_REASON = 2000


def check_extension_request(days: int, reason: str) -> None:
    problems = []
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        problems.append(Violation("days", f"must be 1 to {MAX_EXTENSION_DAYS} (got {days})"))
    if not reason.strip():
        problems.append(Violation("reason", "is required: say why more time is needed"))
    elif len(reason) > MAX_EXTENSION_REASON:
        problems.append(
            Violation(
                "reason",
                f"is {len(reason)} characters long: at most {MAX_EXTENSION_REASON}",
            )
        )
    if problems:
        raise InvalidArgument.many("extension request was rejected", problems)


def check_notification(n) -> None:
    """A Notification as the workflows record it: who, what, when, channel, outcome."""
    problems = [
        Violation(f"notification.{f}", "is required")
        for f in ("id", "cycle_code", "kind")
        if not getattr(n, f)
    ]
    if not n.unit_code and not n.department:
        problems.append(
            Violation("notification.unit_code", "a unit or a department (recipient) is required")
        )
    for field, allowed in (
        ("kind", NOTIFICATION_KINDS),
        ("channel", CHANNELS),
        ("outcome", OUTCOMES),
    ):
        if field == "kind" and not n.kind:
            continue  # reported as required above
        if getattr(n, field) not in allowed:
            problems.append(
                Violation(
                    f"notification.{field}",
                    f"{getattr(n, field)!r} is not one of {', '.join(allowed)}",
                )
            )
    if n.recipient_role and n.recipient_role not in RECIPIENT_ROLES:
        problems.append(
            Violation(
                "notification.recipient_role",
                f"{n.recipient_role!r} is not one of {', '.join(RECIPIENT_ROLES)}",
            )
        )
    if n.outcome == "failed" and not n.error:
        problems.append(
            Violation("notification.error", "a failed notification needs its error text")
        )
    if problems:
        raise InvalidArgument.many("notification was rejected", problems)


def check_history_export(export, history_json: bytes, sha256: str) -> None:
    """The export's metadata, and the computed hash and size against any it declares."""
    problems = [
        Violation(f"export.{f}", "is required")
        for f in ("workflow_id", "run_id", "cycle_code")
        if not getattr(export, f)
    ]
    if not history_json:
        problems.append(Violation("history_json", "is empty"))
    if export.sha256 and export.sha256.lower() != sha256:
        problems.append(
            Violation("export.sha256", f"declared {export.sha256} but the bytes hash to {sha256}")
        )
    if export.size_bytes and export.size_bytes != len(history_json):
        problems.append(
            Violation(
                "export.size_bytes",
                f"declared {export.size_bytes} but {len(history_json)} bytes came",
            )
        )
    if export.event_count < 0:
        problems.append(Violation("export.event_count", "must not be negative"))
    if problems:
        raise InvalidArgument.many("history export was rejected", problems)
