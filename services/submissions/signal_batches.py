"""How the outbox relay turns claimed rows into signals (pure: rows in, signals out; no I/O).

A deadline-day burst commits dozens of submissions per unit within seconds, and every signal
costs Temporal a history write and a workflow task. So the evidence rows of one unit workflow
travel together, in commit order, as one EvidenceBatch signal; other signals (an extension
request to the cycle workflow) go one row at a time, as before.

A row keeps the batch it was first given (its batch_id, stored when the relay leases the
rows), so a batch sent again after a crash or a failed attempt holds the same rows and carries
the same request id: Temporal drops the copy if the first one landed. The request id names the
rows actually sent, so a batch that a claim's limit happened to cut never reuses the whole
batch's id (which would make Temporal drop the rest of it as a duplicate).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from oneassess.contract import SIGNAL_EVIDENCE_BATCH, SIGNAL_EVIDENCE_SUBMITTED

_REQUEST_NAMESPACE = uuid.UUID("7d1f6f3e-3c55-4c0b-9b1e-5a8e1c0f4b21")

# Rows that may share one signal, and the name that signal is sent under.
BATCHED_AS = {SIGNAL_EVIDENCE_SUBMITTED: SIGNAL_EVIDENCE_BATCH}
MAX_ROWS_PER_SIGNAL = 100
# Well under Temporal's 2 MiB payload limit (an evidence row is about 400 bytes of JSON).
MAX_BATCH_BYTES = 512 * 1024


@dataclass(frozen=True)
class OutboxRow:
    id: int
    workflow_id: str
    signal: str
    payload: dict[str, Any]
    attempts: int
    trace_context: dict[str, str] = field(default_factory=dict)
    batch_id: str | None = None  # given when first leased; None before


@dataclass(frozen=True)
class PlannedSignal:
    """One signal to send: to one workflow, carrying one row or a batch of rows."""

    batch_id: str
    rows: tuple[OutboxRow, ...]

    @property
    def workflow_id(self) -> str:
        return self.rows[0].workflow_id

    @property
    def name(self) -> str:
        return BATCHED_AS.get(self.rows[0].signal, self.rows[0].signal)

    @property
    def ids(self) -> list[int]:
        return [row.id for row in self.rows]

    @property
    def attempts(self) -> int:
        return max(row.attempts for row in self.rows)

    @property
    def request_id(self) -> str:
        """Derived from the rows sent: the same rows, the same id, however often sent."""
        return request_id_for(self.ids)

    def payload(self) -> dict[str, Any]:
        if self.name in BATCHED_AS.values():
            return {"submissions": [row.payload for row in self.rows]}
        return self.rows[0].payload

    @property
    def trace_context(self) -> dict[str, str]:
        """The first row's: a signal has one header, so a batch continues its first upload's
        trace (the others' traces end at their commit)."""
        return self.rows[0].trace_context


def request_id_for(ids: Iterable[int]) -> str:
    """One row alone keeps the id relays before batching derived for it."""
    ordered = sorted(ids)
    key = f"outbox/{ordered[0]}" if len(ordered) == 1 else "outbox/" + ",".join(map(str, ordered))
    return str(uuid.uuid5(_REQUEST_NAMESPACE, key))


def batch_id_for(first_row_id: int) -> str:
    """A new batch is named after its first row, which no earlier batch can hold."""
    return str(uuid.uuid5(_REQUEST_NAMESPACE, f"outbox-batch/{first_row_id}"))


def _size(row: OutboxRow) -> int:
    return len(json.dumps(row.payload, ensure_ascii=False).encode())


def plan_signals(
    rows: Iterable[OutboxRow],
    *,
    max_rows: int = MAX_ROWS_PER_SIGNAL,
    max_bytes: int = MAX_BATCH_BYTES,
) -> list[PlannedSignal]:
    """Rows (in claim order) as signals: rows already given a batch stay in it; the others of
    one workflow and batchable signal are packed, in order, up to max_rows and max_bytes
    (a row larger than max_bytes goes alone); everything else goes one row per signal."""
    kept: dict[str, list[OutboxRow]] = {}
    filling: dict[tuple[str, str], tuple[list[OutboxRow], int]] = {}  # rows, their bytes
    planned: list[list[OutboxRow]] = []
    for row in rows:
        if row.batch_id is not None:
            if row.batch_id not in kept:
                kept[row.batch_id] = []
                planned.append(kept[row.batch_id])
            kept[row.batch_id].append(row)
        elif row.signal not in BATCHED_AS:
            planned.append([row])
        else:
            key, size = (row.workflow_id, row.signal), _size(row)
            group, used = filling.get(key, (None, 0))
            if group is None or len(group) >= max_rows or used + size > max_bytes:
                group, used = [], 0
                planned.append(group)
            group.append(row)
            filling[key] = (group, used + size)
    return [
        PlannedSignal(group[0].batch_id or batch_id_for(group[0].id), tuple(group))
        for group in planned
    ]
