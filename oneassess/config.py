"""Configuration from environment variables (documented in the README's configuration table)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]


class Settings(BaseSettings):
    """Every process reads the same settings; each uses the part it needs."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", frozen=True)

    oneassess_home: Path = Field(default=REPO_ROOT / ".oneassess", alias="ONEASSESS_HOME")
    database_url: str = Field(default="", alias="DATABASE_URL")
    temporal_address: str = Field(default="127.0.0.1:7233", alias="TEMPORAL_ADDRESS")
    temporal_namespace: str = Field(default="oneassess", alias="TEMPORAL_NAMESPACE")
    temporal_task_queue: str = Field(default="oneassess", alias="TEMPORAL_TASK_QUEUE")
    temporal_ui_port: int = Field(default=8233, alias="TEMPORAL_UI_PORT")
    # Namespace retention set by `oneassess up`; the dev server accepts 1h up to years.
    temporal_retention: str = Field(default="3650d", alias="TEMPORAL_RETENTION")
    # Reaching a Temporal cluster or Temporal Cloud (the worker and the services only: people
    # never talk to Temporal). TLS is on when any of these is set: the CA that signed the
    # frontend's certificate (system roots when unset), the client certificate and key for
    # mTLS, the server name to verify. An API key (Temporal Cloud) is sent as a bearer token.
    temporal_tls: bool = Field(default=False, alias="TEMPORAL_TLS")
    temporal_tls_ca: Path | None = Field(default=None, alias="TEMPORAL_TLS_CA")
    temporal_tls_cert: Path | None = Field(default=None, alias="TEMPORAL_TLS_CERT")
    temporal_tls_key: Path | None = Field(default=None, alias="TEMPORAL_TLS_KEY")
    temporal_tls_server_name: str = Field(default="", alias="TEMPORAL_TLS_SERVER_NAME")
    temporal_api_key: str = Field(default="", alias="TEMPORAL_API_KEY", repr=False)
    # Set when TEMPORAL_ADDRESS points at a cluster that `oneassess up` must not start.
    external_temporal: bool = Field(default=False, alias="ONEASSESS_EXTERNAL_TEMPORAL")
    bind_host: str = Field(default="127.0.0.1", alias="ONEASSESS_BIND_HOST")
    indicators_port: int = Field(default=50051, alias="INDICATORS_PORT")
    submissions_port: int = Field(default=50052, alias="SUBMISSIONS_PORT")
    scoring_port: int = Field(default=50053, alias="SCORING_PORT")
    indicators_address: str = Field(default="", alias="INDICATORS_ADDRESS")
    submissions_address: str = Field(default="", alias="SUBMISSIONS_ADDRESS")
    scoring_address: str = Field(default="", alias="SCORING_ADDRESS")
    # Identity (OIDC). Services verify tokens against the issuer's keys (found through its
    # discovery document); the worker and the services get their own tokens from it with their
    # client id and secret (client_credentials). `oneassess up` runs a local issuer.
    issuer_url: str = Field(default="", alias="ONEASSESS_ISSUER_URL")
    issuer_port: int = Field(default=8790, alias="ISSUER_PORT")
    oidc_discovery_url: str = Field(default="", alias="ONEASSESS_OIDC_DISCOVERY_URL")
    audience: str = Field(default="oneassess", alias="ONEASSESS_AUDIENCE")
    client_id: str = Field(default="", alias="ONEASSESS_CLIENT_ID")
    client_secret: str = Field(default="", alias="ONEASSESS_CLIENT_SECRET")
    # The local issuer's own files: its signing key (generated 0600 when missing), its clients
    # and the people who may sign in (the sample city's, by default).
    issuer_key: Path | None = Field(default=None, alias="ONEASSESS_ISSUER_KEY")
    issuer_clients: Path | None = Field(default=None, alias="ONEASSESS_ISSUER_CLIENTS")
    people_file: Path = Field(
        default=REPO_ROOT / "examples" / "haizhou-2026" / "people.yaml", alias="ONEASSESS_PEOPLE"
    )
    token_ttl_seconds: int = Field(default=8 * 3600, alias="ONEASSESS_TOKEN_TTL")
    portal_redirect_uris: str = Field(
        default="http://127.0.0.1:8080/auth/callback", alias="ONEASSESS_PORTAL_REDIRECT_URIS"
    )
    token: str = Field(default="", alias="ONEASSESS_TOKEN")
    # Act for another person under a delegation the office granted (their token subject); sent
    # as the x-oneassess-on-behalf-of header on every call.
    on_behalf_of: str = Field(default="", alias="ONEASSESS_ON_BEHALF_OF")
    # TLS: the services serve it when given a certificate and key; clients (CLI, worker, peers)
    # use it when given the CA to trust. Plaintext otherwise (loopback, or a mesh doing mTLS).
    tls_cert: Path | None = Field(default=None, alias="ONEASSESS_TLS_CERT")
    tls_key: Path | None = Field(default=None, alias="ONEASSESS_TLS_KEY")
    tls_ca: Path | None = Field(default=None, alias="ONEASSESS_TLS_CA")
    # The key a service signs its audit chain's head with (VerifyAuditChain); generated once
    # into ONEASSESS_HOME/audit-key (owner-only) when unset. Set the same value for every
    # replica of a city so their signatures agree.
    audit_key: str = Field(default="", alias="ONEASSESS_AUDIT_KEY", repr=False)
    max_upload_bytes: int = Field(default=100 * 1024 * 1024, alias="ONEASSESS_MAX_UPLOAD_BYTES")
    # Per-caller bounds on uploads: a stream that sends nothing for this long is dropped
    # (DEADLINE_EXCEEDED), and one caller has at most this many uploads in flight
    # (RESOURCE_EXHAUSTED beyond).
    upload_idle_seconds: float = Field(default=30.0, alias="ONEASSESS_UPLOAD_IDLE_SECONDS")
    uploads_per_caller: int = Field(default=8, alias="ONEASSESS_UPLOADS_PER_CALLER")
    blob_dir: Path | None = Field(default=None, alias="ONEASSESS_BLOB_DIR")
    # Where evidence lives: empty (the local directory above) or s3://bucket/prefix, with the
    # endpoint, region and credentials from the standard AWS settings (AWS_ENDPOINT_URL,
    # AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, or a role).
    blob_store: str = Field(default="", alias="ONEASSESS_BLOB_STORE")
    # "path" for SeaweedFS, MinIO and most self-hosted stores; "virtual" or "auto" for AWS.
    s3_addressing_style: str = Field(default="path", alias="ONEASSESS_S3_ADDRESSING_STYLE")
    # The sweeper removes blobs no committed submission or history export references once
    # they are older than the grace period; it runs every interval in each replica (0: never).
    blob_sweep_grace_seconds: float = Field(default=86400.0, alias="ONEASSESS_BLOB_SWEEP_GRACE")
    blob_sweep_interval_seconds: float = Field(
        default=3600.0, alias="ONEASSESS_BLOB_SWEEP_INTERVAL"
    )
    # Apply pending migrations when a service starts (the local stack); a deployment runs
    # `python -m services.<name> --migrate-only` first and sets this false.
    migrate_on_start: bool = Field(default=True, alias="ONEASSESS_MIGRATE_ON_START")
    # Prometheus metrics on http://<bind host>:<port>/metrics; 0 = off.
    metrics_port: int = Field(default=0, alias="ONEASSESS_METRICS_PORT")
    # `oneassess up` gives its processes metrics ports from here, in the order of
    # METERED (indicators, submissions, scoring, worker); 0 = off.
    metrics_base_port: int = Field(default=9464, alias="ONEASSESS_METRICS_BASE_PORT")
    db_pool_max: int = Field(default=10, alias="ONEASSESS_DB_POOL_MAX")
    shutdown_grace_seconds: float = Field(default=10.0, alias="ONEASSESS_SHUTDOWN_GRACE")
    # The portal (services/portal): its port, the cycle it shows, its session cookie, sign-in.
    portal_port: int = Field(default=8080, alias="PORTAL_PORT")
    portal_cycle: str = Field(default="haizhou-2026", alias="PORTAL_CYCLE")
    portal_session_secret: str = Field(default="", alias="PORTAL_SESSION_SECRET")
    # Secure cookies: set when the portal is served behind TLS (a proxy terminating https).
    portal_secure_cookie: bool = Field(default=False, alias="PORTAL_SECURE_COOKIE")
    # Where browsers reach the portal (its OIDC redirect URI is this + /auth/callback);
    # http://127.0.0.1:PORTAL_PORT when empty.
    portal_public_url: str = Field(default="", alias="PORTAL_PUBLIC_URL")
    # How often a service checks its database and background jobs for its health (seconds).
    readiness_check_seconds: float = Field(default=2.0, alias="ONEASSESS_READINESS_SECONDS")
    # How long a client (CLI, demo, worker) retries a call answered UNAVAILABLE before giving
    # up; uploads at least 2 minutes, so a database restart is a pause, not a failure.
    retry_seconds: float = Field(default=150.0, alias="ONEASSESS_RETRY_SECONDS")

    @cached_property
    def home(self) -> Path:
        self.oneassess_home.mkdir(parents=True, exist_ok=True)
        return self.oneassess_home

    def address_of(self, service: str) -> str:
        """gRPC address of a peer service: its *_ADDRESS, else the local port."""
        explicit = getattr(self, f"{service}_address")
        if explicit:
            return explicit
        return f"127.0.0.1:{getattr(self, f'{service}_port')}"

    @property
    def issuer(self) -> str:
        """The OIDC issuer: ONEASSESS_ISSUER_URL, else the local issuer on ISSUER_PORT."""
        return (self.issuer_url or f"http://127.0.0.1:{self.issuer_port}").rstrip("/")

    @property
    def portal_callback_url(self) -> str:
        """The portal's OIDC redirect URI, registered with the issuer by `oneassess up`."""
        base = self.portal_public_url or f"http://127.0.0.1:{self.portal_port}"
        return f"{base.rstrip('/')}/auth/callback"

    @property
    def discovery_url(self) -> str:
        return self.oidc_discovery_url or f"{self.issuer}/.well-known/openid-configuration"

    @property
    def issuer_key_path(self) -> Path:
        return self.issuer_key or self.home / "issuer" / "signing-key.pem"

    @property
    def issuer_clients_path(self) -> Path:
        return self.issuer_clients or self.home / "issuer" / "clients.yaml"

    def port_of(self, service: str) -> int:
        return int(getattr(self, f"{service}_port"))

    def tls_root(self) -> bytes | None:
        """The CA clients trust, when TLS is on."""
        return self.tls_ca.read_bytes() if self.tls_ca else None

    def server_credentials(self):
        """gRPC server credentials when a certificate and key are configured, else None."""
        if not self.tls_cert and not self.tls_key:
            return None
        if not (self.tls_cert and self.tls_key):
            raise ValueError("TLS needs both ONEASSESS_TLS_CERT and ONEASSESS_TLS_KEY")
        import grpc

        return grpc.ssl_server_credentials(
            [(self.tls_key.read_bytes(), self.tls_cert.read_bytes())]
        )

    def temporal_tls_files(self) -> dict[str, bytes | str] | None:
        """What a Temporal TLS configuration needs (None: plaintext, e.g. the local dev server).
        Keys are temporalio.service.TLSConfig's; read here so every process checks alike."""
        if bool(self.temporal_tls_cert) != bool(self.temporal_tls_key):
            raise ValueError("Temporal mTLS needs both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY")
        wanted = (
            self.temporal_tls
            or self.temporal_tls_ca
            or self.temporal_tls_cert
            or self.temporal_tls_server_name
            or self.temporal_api_key
        )
        if not wanted:
            return None
        files: dict[str, bytes | str] = {}
        if self.temporal_tls_ca:
            files["server_root_ca_cert"] = self.temporal_tls_ca.read_bytes()
        if self.temporal_tls_cert and self.temporal_tls_key:
            files["client_cert"] = self.temporal_tls_cert.read_bytes()
            files["client_private_key"] = self.temporal_tls_key.read_bytes()
        if self.temporal_tls_server_name:
            files["domain"] = self.temporal_tls_server_name
        return files

    @property
    def blobs(self) -> Path:
        return self.blob_dir or self.home / "blobs"


def load() -> Settings:
    return Settings()
