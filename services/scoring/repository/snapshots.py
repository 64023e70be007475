"""Ask snapshots: the submission times and deadlines a run used, stored once per content."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.common.errors import FailedPrecondition


@dataclass(frozen=True)
class AskSnapshot:
    deadline: datetime  # the cycle's evidence deadline
    extended: dict[str, datetime]  # unit -> extended deadline
    times: dict[str, dict[str, datetime]]  # unit -> canonical key -> first submission


async def save_ask_snapshot(conn, *, sha256: str, cycle_code: str, snapshot: AskSnapshot) -> None:
    """Store the submission times a run used, once per content."""
    exists = await conn.fetchval("SELECT 1 FROM ask_snapshots WHERE sha256 = $1", sha256)
    if exists:
        return
    count = sum(len(t) for t in snapshot.times.values())
    await conn.execute(
        "INSERT INTO ask_snapshots (sha256, cycle_code, deadline, extended, asks)"
        " VALUES ($1, $2, $3, $4, $5)",
        sha256,
        cycle_code,
        snapshot.deadline,
        {u: d.isoformat() for u, d in sorted(snapshot.extended.items())},
        count,
    )
    await conn.copy_records_to_table(
        "ask_snapshot_times",
        records=(
            (sha256, unit, key, at)
            for unit, keys in snapshot.times.items()
            for key, at in keys.items()
        ),
        columns=("sha256", "unit_code", "evidence_key", "first_submitted_at"),
    )


async def load_ask_snapshot(conn, *, sha256: str) -> AskSnapshot:
    head = await conn.fetchrow(
        "SELECT deadline, extended FROM ask_snapshots WHERE sha256 = $1", sha256
    )
    if head is None:
        raise FailedPrecondition(f"ask snapshot {sha256} is missing", "SNAPSHOT_MISSING")
    times: dict[str, dict[str, datetime]] = {}
    for unit, key, at in await conn.fetch(
        "SELECT unit_code, evidence_key, first_submitted_at FROM ask_snapshot_times"
        " WHERE sha256 = $1",
        sha256,
    ):
        times.setdefault(unit, {})[key] = at
    deadline, extended = head
    return AskSnapshot(deadline, {u: datetime.fromisoformat(d) for u, d in extended.items()}, times)
