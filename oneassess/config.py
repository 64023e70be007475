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
    # A Temporal cluster's TLS: the client certificate and key (mTLS), the CA to trust (else
    # the system's), and an API key (Temporal Cloud; implies TLS). TEMPORAL_TLS=true turns TLS
    # on with none of these (a cluster whose certificate the system trusts).
    temporal_tls: bool = Field(default=False, alias="TEMPORAL_TLS")
    temporal_tls_cert: Path | None = Field(default=None, alias="TEMPORAL_TLS_CERT")
    temporal_tls_key: Path | None = Field(default=None, alias="TEMPORAL_TLS_KEY")
    temporal_tls_ca: Path | None = Field(default=None, alias="TEMPORAL_TLS_CA")
    temporal_tls_server_name: str = Field(default="", alias="TEMPORAL_TLS_SERVER_NAME")
    temporal_api_key: str = Field(default="", alias="TEMPORAL_API_KEY")
    # Set when TEMPORAL_ADDRESS points at a cluster that `oneassess up` must not start.
    external_temporal: bool = Field(default=False, alias="ONEASSESS_EXTERNAL_TEMPORAL")
    bind_host: str = Field(default="127.0.0.1", alias="ONEASSESS_BIND_HOST")
    indicators_port: int = Field(default=50051, alias="INDICATORS_PORT")
    submissions_port: int = Field(default=50052, alias="SUBMISSIONS_PORT")
    scoring_port: int = Field(default=50053, alias="SCORING_PORT")
    indicators_address: str = Field(default="", alias="INDICATORS_ADDRESS")
    submissions_address: str = Field(default="", alias="SUBMISSIONS_ADDRESS")
    scoring_address: str = Field(default="", alias="SCORING_ADDRESS")
    token_secret: str = Field(default="", alias="ONEASSESS_TOKEN_SECRET")
    token: str = Field(default="", alias="ONEASSESS_TOKEN")
    # TLS: the services serve it when given a certificate and key; clients (CLI, worker, peers)
    # use it when given the CA to trust. Plaintext otherwise (loopback, or a mesh doing mTLS).
    tls_cert: Path | None = Field(default=None, alias="ONEASSESS_TLS_CERT")
    tls_key: Path | None = Field(default=None, alias="ONEASSESS_TLS_KEY")
    tls_ca: Path | None = Field(default=None, alias="ONEASSESS_TLS_CA")
    max_upload_bytes: int = Field(default=100 * 1024 * 1024, alias="ONEASSESS_MAX_UPLOAD_BYTES")
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
    db_pool_max: int = Field(default=10, alias="ONEASSESS_DB_POOL_MAX")
    shutdown_grace_seconds: float = Field(default=10.0, alias="ONEASSESS_SHUTDOWN_GRACE")

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

    def temporal_connect_options(self) -> dict:
        """Keyword arguments for temporalio's Client.connect beyond address and namespace:
        `tls` (client certificate, CA, server name) and `api_key`, from the TEMPORAL_* settings.
        Every Temporal client of the project (worker, outbox relay, services, CLI) uses it."""
        if bool(self.temporal_tls_cert) != bool(self.temporal_tls_key):
            raise ValueError("Temporal mTLS needs both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY")
        options: dict = {}
        wants_tls = (
            self.temporal_tls
            or self.temporal_tls_cert
            or self.temporal_tls_ca
            or self.temporal_api_key
        )
        if wants_tls:
            from temporalio.service import TLSConfig

            options["tls"] = TLSConfig(
                server_root_ca_cert=self.temporal_tls_ca.read_bytes()
                if self.temporal_tls_ca
                else None,
                client_cert=self.temporal_tls_cert.read_bytes() if self.temporal_tls_cert else None,
                client_private_key=self.temporal_tls_key.read_bytes()
                if self.temporal_tls_key
                else None,
                domain=self.temporal_tls_server_name or None,
            )
        if self.temporal_api_key:
            options["api_key"] = self.temporal_api_key
        return options

    @property
    def blobs(self) -> Path:
        return self.blob_dir or self.home / "blobs"


def load() -> Settings:
    return Settings()
