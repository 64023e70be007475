"""One asyncpg pool per process, each service in its own schema, migrations at start-up.

Migrations are numbered .sql files: first the shared ones (services/common/migrations:
idempotency and audit tables every service has), then the service's own. They run under a
PostgreSQL advisory lock, so two replicas starting at once apply each exactly once.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import asyncpg

from oneassess.config import Settings
from services.common.canonical import canonical_json
from services.common.outage import outage_cause

log = logging.getLogger(__name__)

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


def service_role(schema: str) -> str:
    return f"oneassess_{schema}"


def _role_password(admin_url: str, role: str) -> str:
    """The role's password, derived from the administrative credentials alone, so every
    replica agrees on it whatever address and database it reaches the cluster by (a role
    belongs to the cluster): one reaching it through a proxy or PgBouncer, another directly,
    must not reset the password under the other's pool."""
    parts = urlsplit(admin_url)
    key = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}".encode()
    return hmac.new(key, role.encode(), hashlib.sha256).hexdigest()


async def _create_or_update_role(conn: asyncpg.Connection, role: str, password: str) -> None:
    """Roles belong to the cluster, shared by its databases: create the role once, whoever
    wins; the losers set the same password. The caller's advisory lock holds within one
    database only, so services of other databases on the cluster may still race here."""
    try:
        await conn.execute(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'")
        return
    except (asyncpg.DuplicateObjectError, asyncpg.UniqueViolationError):
        pass
    for attempt in range(10):  # "tuple concurrently updated"
        try:
            await conn.execute(f"ALTER ROLE \"{role}\" LOGIN PASSWORD '{password}'")
            return
        except asyncpg.InternalServerError:
            if attempt == 9:
                raise
            await asyncio.sleep(0.05 * (attempt + 1))


async def ensure_service_role(admin_url: str, schema: str) -> str:
    """Give the service a database role of its own that owns its schema (and everything in
    it) and nothing else, so a service cannot write another's data; returns the URL that
    connects as it. The role has no rights on the other services' schemas (their owners grant
    nothing). When the administrative role may not create roles (a managed database), the
    service keeps the given URL and says so."""
    role = service_role(schema)
    password = _role_password(admin_url, role)
    conn = await asyncpg.connect(admin_url)
    try:
        # Replicas starting at once take turns: two ALTER SCHEMA ... OWNER of one schema fail
        # with "tuple concurrently updated" instead of waiting for each other.
        await conn.execute("SELECT pg_advisory_lock(hashtext($1))", f"oneassess.role.{schema}")
        await _create_or_update_role(conn, role, password)
        async with conn.transaction():
            await conn.execute(f'ALTER SCHEMA "{schema}" OWNER TO "{role}"')
            await conn.execute(f'REVOKE ALL ON SCHEMA "{schema}" FROM PUBLIC')
            for row in await conn.fetch(
                "SELECT c.relname, c.relkind FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm')",
                schema,
            ):
                # A table's sequences follow it to its new owner.
                kind = {"v": "VIEW", "m": "MATERIALIZED VIEW"}.get(row["relkind"], "TABLE")
                await conn.execute(f'ALTER {kind} "{schema}"."{row["relname"]}" OWNER TO "{role}"')
            # Functions too (the audit chain's lock-and-head): an owner may always execute
            # them, so a database that revokes the default EXECUTE from PUBLIC still works.
            for function in await conn.fetch(
                "SELECT p.oid::regprocedure::text AS signature FROM pg_proc p"
                " JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1"
                " AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass"
                " AND d.objid = p.oid AND d.deptype = 'e')",  # an extension's stay its own
                schema,
            ):
                await conn.execute(f'ALTER ROUTINE {function["signature"]} OWNER TO "{role}"')
    except asyncpg.InsufficientPrivilegeError as err:
        log.warning(
            "%s: cannot create the database role %s (%s); using DATABASE_URL's role", schema,
            role, err,
        )  # fmt: skip
        return admin_url
    finally:
        await conn.close()
    parts = urlsplit(admin_url)
    host = parts.hostname or ""
    netloc = f"{quote(role)}:{password}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


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


async def _keep_session(conn: asyncpg.Connection) -> None:
    """What a connection needs on its way back to the pool beyond asyncpg's own clean-up
    (which rolls back a transaction left open): nothing. Pool users keep no session state --
    no session advisory locks, LISTEN, cursors or SET (those use connections of their own) --
    so asyncpg's default reset query (unlock all, CLOSE ALL, UNLISTEN *, RESET ALL) would be
    one more round trip on every call."""


async def create_pool(
    url: str, schema: str, *, max_size: int = 10, application: str = ""
) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        url,
        min_size=1,
        max_size=max_size,
        init=_init_connection,
        reset=_keep_session,
        server_settings={"search_path": schema, "application_name": application or schema},
    )
