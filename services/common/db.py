"""One asyncpg pool per process, each service in its own schema, migrations at start-up.

Migrations are numbered .sql files: first the shared ones (services/common/migrations:
idempotency and audit tables every service has), then the service's own. They run under a
PostgreSQL advisory lock, so two replicas starting at once apply each exactly once.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from oneassess.config import Settings
from services.common.canonical import canonical_json
from services.common.outage import outage_cause

COMMON_MIGRATIONS = Path(__file__).parent / "migrations"
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    source: str  # "common" or the service name
    name: str
    sql: str


def database_url(settings: Settings) -> str:
    """DATABASE_URL. The local stack (`oneassess up`) sets it to its embedded PostgreSQL for the
    processes it starts; a service started any other way must be told where its database is."""
    if settings.database_url:
        return settings.database_url
    raise RuntimeError(
        "DATABASE_URL is not set: start the services with `oneassess up`, or point "
        "DATABASE_URL at PostgreSQL"
    )


def load_migrations(service: str, service_dir: Path) -> list[Migration]:
    migrations = []
    for source, folder in (("common", COMMON_MIGRATIONS), (service, service_dir)):
        for path in sorted(folder.glob("*.sql")):
            if not _NAME.match(path.name):
                raise ValueError(f"migration {path} is not named NNNN_snake_case.sql")
            migrations.append(Migration(source, path.name, path.read_text()))
    return migrations


async def _init_connection(conn: asyncpg.Connection) -> None:
    for typename in ("json", "jsonb"):
        await conn.set_type_codec(
            typename,
            encoder=canonical_json,
            decoder=json.loads,
            schema="pg_catalog",
        )


async def migrate(url: str, schema: str, migrations: list[Migration]) -> list[str]:
    """Apply pending migrations; returns the names applied. Safe with concurrent replicas."""
    conn = await asyncpg.connect(url)
    applied_now: list[str] = []
    try:
        await conn.execute("SELECT pg_advisory_lock(hashtext($1))", f"oneassess.migrate.{schema}")
        try:
            await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            await conn.execute(
                f'CREATE TABLE IF NOT EXISTS "{schema}".schema_migrations ('
                " source text NOT NULL, name text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (source, name))"
            )
            done = {
                (r["source"], r["name"])
                for r in await conn.fetch(f'SELECT source, name FROM "{schema}".schema_migrations')
            }
            await conn.execute(f'SET search_path TO "{schema}"')
            for m in migrations:
                if (m.source, m.name) in done:
                    continue
                async with conn.transaction():
                    await conn.execute(m.sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations (source, name) VALUES ($1, $2)",
                        m.source,
                        m.name,
                    )
                applied_now.append(f"{m.source}/{m.name}")
        finally:
            await conn.execute(
                "SELECT pg_advisory_unlock(hashtext($1))", f"oneassess.migrate.{schema}"
            )
    finally:
        await conn.close()
    return applied_now


class _OneLineOutages(logging.Filter):
    """asyncpg's pool logs a traceback each time it cannot reconnect its idle connections
    during an outage: keep the line and its cause, drop the traceback of a known outage."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and outage_cause(error) is not None:
            record.msg = f"{record.msg} ({outage_cause(error)})"
            record.exc_info = None
            record.exc_text = None
        return True


logging.getLogger("asyncpg.pool").addFilter(_OneLineOutages())


async def create_pool(
    url: str, schema: str, *, max_size: int = 10, application: str = ""
) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        url,
        min_size=1,
        max_size=max_size,
        init=_init_connection,
        server_settings={"search_path": schema, "application_name": application or schema},
    )
