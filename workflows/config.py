"""The worker's own settings (notification channels), from the environment. Everything else
(Temporal address and namespace, service addresses, the worker's client at the issuer) comes
from the shared oneassess.config.Settings."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class NotifySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", frozen=True)

    # log (default), webhook or email
    channel: str = Field(default="log", alias="ONEASSESS_NOTIFY_CHANNEL")
    webhook_url: str = Field(default="", alias="ONEASSESS_WEBHOOK_URL")
    # HMAC-SHA256 key; the body's signature travels in X-OneAssess-Signature
    webhook_secret: str = Field(default="", alias="ONEASSESS_WEBHOOK_SECRET")
    smtp_host: str = Field(default="127.0.0.1", alias="ONEASSESS_SMTP_HOST")
    smtp_port: int = Field(default=25, alias="ONEASSESS_SMTP_PORT")
    smtp_sender: str = Field(default="oneassess@localhost", alias="ONEASSESS_SMTP_FROM")
    smtp_user: str = Field(default="", alias="ONEASSESS_SMTP_USER")
    smtp_password: str = Field(default="", alias="ONEASSESS_SMTP_PASSWORD")
    smtp_starttls: bool = Field(default=False, alias="ONEASSESS_SMTP_STARTTLS")
    # The assessment office's address: the top of the escalation ladder.
    office_address: str = Field(default="office", alias="ONEASSESS_OFFICE_ADDRESS")
    # Assessor digests go to "{department}@{domain}" when set, else to the department code.
    assessor_domain: str = Field(default="", alias="ONEASSESS_ASSESSOR_DOMAIN")
    # Attempts before a delivery is recorded as failed.
    attempts: int = Field(default=5, alias="ONEASSESS_NOTIFY_ATTEMPTS")


class WorkerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", frozen=True)

    # Workflows kept in memory between tasks. Below the number of live unit workflows, every
    # task of an evicted one replays its whole history: keep it above a city's units.
    max_cached_workflows: int = Field(default=2500, alias="ONEASSESS_WORKER_CACHED_WORKFLOWS")
