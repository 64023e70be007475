"""SQL of the indicators service: special assessments, units, cycles (explicit, keyword-only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.common.errors import AlreadyExists, FailedPrecondition, NotFound
from services.indicators.model import CyclePlan, SpecialAssessmentDoc, UnitDef

_VERSION_COLUMNS = "code, version, doc, sha256, imported_at, imported_by"
_UNIT_COLUMNS = "code, name, kind, group_code, contact, head"


@dataclass(frozen=True)
class StoredVersion:
    doc: SpecialAssessmentDoc
    version: int
    sha256: str
    imported_at: datetime
    imported_by: str


@dataclass(frozen=True)
class StoredCycle:
    plan: CyclePlan
    state: str
    created_at: datetime
    folded_at: datetime | None
    catalogue: dict[str, Any] | None
    catalogue_sha256: str
    versions: list[tuple[str, int, float, str]]  # (code, version, weight, sha256)


def _version(row: asyncpg.Record) -> StoredVersion:
    return StoredVersion(
        SpecialAssessmentDoc.from_dict(row["doc"]),
        row["version"],
        row["sha256"],
        row["imported_at"],
        row["imported_by"],
    )


async def latest_version(conn, *, code: str) -> StoredVersion | None:
    row = await conn.fetchrow(
        f"SELECT {_VERSION_COLUMNS} FROM special_assessments"
        " WHERE code = $1 ORDER BY version DESC LIMIT 1",
        code,
    )
    return _version(row) if row else None


async def lock_code(conn, *, code: str) -> None:
    """Serialise imports of one code until the transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('oneassess.sa.' || $1))", code)


async def insert_version(
    conn, *, doc: SpecialAssessmentDoc, source_name: str, imported_by: str
) -> tuple[StoredVersion, bool]:
    """Store doc as the next version of its code; identical content returns the latest,
    unchanged."""
    await lock_code(conn, code=doc.code)
    latest = await latest_version(conn, code=doc.code)
    if latest is not None and latest.sha256 == doc.sha256:
        return latest, False
    row = await conn.fetchrow(
        "INSERT INTO special_assessments"
        " (code, version, owner, doc, sha256, source_name, imported_by)"
        f" VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {_VERSION_COLUMNS}",
        doc.code,
        (latest.version + 1) if latest else 1,
        doc.owner,
        doc.to_dict(),
        doc.sha256,
        source_name,
        imported_by,
    )
    return _version(row), True


async def list_versions(
    conn, *, code: str, all_versions: bool, after: tuple[str, int] | None, limit: int
) -> list[StoredVersion]:
    after_code, after_version = after or ("", 1 << 30)
    rows = await conn.fetch(
        f"""
        SELECT {_VERSION_COLUMNS} FROM special_assessments s
        WHERE ($1 = '' OR s.code = $1)
          AND ($2 OR s.version = (
              SELECT max(version) FROM special_assessments x WHERE x.code = s.code))
          AND (s.code > $3 OR (s.code = $3 AND s.version < $4))
        ORDER BY s.code, s.version DESC
        LIMIT $5
        """,
        code,
        all_versions,
        after_code,
        after_version,
        limit,
    )
    return [_version(r) for r in rows]


async def upsert_units(conn, *, units: list[UnitDef]) -> tuple[int, int, int]:
    """Insert new units and update changed ones in one statement; returns
    (created, updated, unchanged)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('oneassess.units'))")
    existing = {
        r["code"]: r
        for r in await conn.fetch(
            f"SELECT {_UNIT_COLUMNS} FROM units WHERE code = ANY($1::text[])",
            [u.code for u in units],
        )
    }
    created = updated = unchanged = 0
    changed = []
    for unit in units:
        row = existing.get(unit.code)
        values = (unit.name, unit.kind, unit.group, unit.contact, unit.head)
        if row is None:
            created += 1
        elif (row["name"], row["kind"], row["group_code"], row["contact"], row["head"]) == values:
            unchanged += 1
            continue
        else:
            updated += 1
        changed.append((unit.code, *values))
    if changed:
        await conn.execute(
            "INSERT INTO units (code, name, kind, group_code, contact, head)"
            " SELECT * FROM unnest("
            "$1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])"
            " ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind,"
            " group_code = excluded.group_code, contact = excluded.contact,"
            " head = excluded.head, updated_at = now()",
            *(list(column) for column in zip(*changed, strict=True)),
        )
    return created, updated, unchanged


async def unit_kinds(conn) -> list[str]:
    return [r["kind"] for r in await conn.fetch("SELECT DISTINCT kind FROM units ORDER BY kind")]


def _unit(row: asyncpg.Record) -> UnitDef:
    return UnitDef(
        row["code"], row["name"], row["kind"], row["group_code"], row["contact"], row["head"]
    )


async def list_units(
    conn, *, kind: str = "", group: str = "", after: str = "", limit: int = 1 << 30, code: str = ""
) -> list[UnitDef]:
    rows = await conn.fetch(
        f"SELECT {_UNIT_COLUMNS} FROM units"
        " WHERE ($1 = '' OR kind = $1) AND ($2 = '' OR group_code = $2) AND code > $3"
        " AND ($5 = '' OR code = $5) ORDER BY code LIMIT $4",
        kind,
        group,
        after,
        limit,
        code,
    )
    return [_unit(r) for r in rows]


async def insert_cycle(conn, *, plan: CyclePlan, created_by: str) -> None:
    try:
        await conn.execute(
            "INSERT INTO cycles (code, plan, state, created_by) VALUES ($1, $2, 'created', $3)",
            plan.code,
            plan.to_dict(),
            created_by,
        )
    except asyncpg.UniqueViolationError as err:
        raise AlreadyExists.of_field(
            "code", f"cycle {plan.code!r} already exists", "CYCLE_EXISTS"
        ) from err


async def get_cycle(conn, *, code: str, for_update: bool = False) -> StoredCycle:
    row = await conn.fetchrow(
        "SELECT plan, state, created_at, folded_at, catalogue, catalogue_sha256 FROM cycles"
        f" WHERE code = $1{' FOR UPDATE' if for_update else ''}",
        code,
    )
    if row is None:
        raise NotFound.of_field("cycle_code", f"no cycle {code!r}", "CYCLE_NOT_FOUND")
    versions = await conn.fetch(
        "SELECT v.sa_code, v.version, v.weight, s.sha256 FROM cycle_versions v"
        " JOIN special_assessments s ON s.code = v.sa_code AND s.version = v.version"
        " WHERE v.cycle_code = $1 ORDER BY v.sa_code",
        code,
    )
    return StoredCycle(
        CyclePlan.from_dict(row["plan"]),
        row["state"],
        row["created_at"],
        row["folded_at"],
        row["catalogue"],
        row["catalogue_sha256"] or "",
        [(v["sa_code"], v["version"], v["weight"], v["sha256"]) for v in versions],
    )


async def freeze_cycle(
    conn,
    *,
    code: str,
    versions: list[tuple[str, int, float]],
    catalogue: dict[str, Any],
    catalogue_sha256: str,
) -> None:
    stored = await get_cycle(conn, code=code, for_update=True)
    if stored.state != "created":
        raise FailedPrecondition.of_field(
            "cycle_code", f"cycle {code!r} is already folded", "CYCLE_FOLDED"
        )
    await conn.executemany(
        "INSERT INTO cycle_versions (cycle_code, sa_code, version, weight) VALUES ($1, $2, $3, $4)",
        [(code, sa, version, weight) for sa, version, weight in versions],
    )
    await conn.execute(
        "UPDATE cycles SET state = 'folded', folded_at = now(), catalogue = $2,"
        " catalogue_sha256 = $3 WHERE code = $1",
        code,
        catalogue,
        catalogue_sha256,
    )
