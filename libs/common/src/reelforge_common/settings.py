"""Typed settings read from ``REELFORGE_*`` environment variables.

Every service subclasses :class:`ServiceSettings` and adds its own fields.
Outside development a missing or well-known default secret is a start-up
error, so a deployment can never run on credentials copied from a README.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "production"]

# Credentials that appear in documentation and quick-start guides.
_DEFAULT_SECRETS = frozenset(
    {"", "changeme", "change-me", "secret", "password", "postgres", "minioadmin", "admin", "reelforge"}
)


class ServiceSettings(BaseSettings):
    """Settings every service shares: infrastructure endpoints and credentials,
    ports, telemetry. Values come from the environment (prefix ``REELFORGE_``)."""

    model_config = SettingsConfigDict(env_prefix="REELFORGE_", extra="ignore", frozen=True)

    environment: Environment = "development"
    log_level: str = "INFO"

    nats_url: str = "nats://127.0.0.1:14222"
    # Prefix of every subject and stream name; separate deployments (or test
    # runs) can share one NATS cluster without seeing each other.
    bus_prefix: str = Field(default="rf", pattern=r"^[a-z][a-z0-9_]*$")
    # Replicas of each JetStream stream (3 on a production cluster).
    stream_replicas: int = Field(default=1, ge=1, le=5)
    # NATS is pinged this often; 3 pings unanswered (a silent partition)
    # and the connection is replaced, so a dead link is noticed in ~4 intervals.
    nats_ping_interval_s: float = Field(default=10.0, gt=0)

    database_url: SecretStr = SecretStr("")
    # The service's own schema; empty means the service's name.
    database_schema: str = Field(default="", pattern=r"^([a-z][a-z0-9_]{0,55})?$")
    # At least 2: the outbox relay holds one connection to LISTEN.
    database_pool_max: int = Field(default=10, ge=2)
    # Longest a statement (or opening a connection) may take; past it the
    # operation fails as unavailable (503) rather than wait on a silent network.
    database_timeout_s: float = Field(default=60.0, gt=0)

    s3_endpoint: str = "127.0.0.1:18333"
    s3_access_key: SecretStr = SecretStr("")
    s3_secret_key: SecretStr = SecretStr("")
    s3_bucket: str = "reelforge"
    s3_secure: bool = False
    s3_region: str = "us-east-1"
    # Where callers outside the deployment reach S3 (e.g. https://media.example.com);
    # presigned URLs are signed for it. Empty: the same as s3_endpoint.
    s3_public_url: str = Field(default="", pattern=r"^(https?://[^/?#]+)?$")
    # How long one S3 request is retried (backoff up to 2 s) while S3 is
    # unreachable or answers 5xx, before the operation fails as unavailable.
    s3_retry_limit_s: float = Field(default=30.0, ge=0)

    grpc_port: int = Field(default=0, ge=0, le=65535)
    http_port: int = Field(default=0, ge=0, le=65535)
    bind_host: str = "127.0.0.1"
    shutdown_grace_s: float = Field(default=20.0, gt=0)

    # "otlp" exports spans to otlp_endpoint; "none" keeps tracing in-process only.
    otel_exporter: Literal["otlp", "none"] = "none"
    otlp_endpoint: str = "http://127.0.0.1:4317"

    @field_validator("bus_prefix")
    @classmethod
    def _not_the_dead_letter_prefix(cls, value: str) -> str:
        if value == "dlq":
            raise ValueError("'dlq' is reserved for dead-letter subjects")
        return value

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> ServiceSettings:
        if self.environment == "development":
            return self
        weak = [
            name
            for name in ("s3_access_key", "s3_secret_key")
            if getattr(self, name).get_secret_value().strip().lower() in _DEFAULT_SECRETS
        ]
        database_password = urlsplit(self.database_url.get_secret_value()).password
        if not database_password or database_password.lower() in _DEFAULT_SECRETS:
            weak.append("database_url")
        if weak:
            names = ", ".join(f"REELFORGE_{n.upper()}" for n in weak)
            raise ValueError(f"missing or default secret outside development: set {names}")
        return self
