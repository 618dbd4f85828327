"""Gateway settings (``REELFORGE_*`` plus the gateway's own)."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator

from reelforge_common.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    # Port of the public REST API; 0 picks a free one.
    api_port: int = Field(default=0, ge=0, le=65535)
    # Bearer credential of the operator, who creates tenants (`/v1/admin/...`).
    operator_token: SecretStr = SecretStr("")
    # Job events applied to the read model in parallel.
    projection_concurrency: int = Field(default=32, ge=1)
    # gRPC addresses of the internal services.
    ingest_target: str = "127.0.0.1:17010"
    transcription_target: str = "127.0.0.1:17020"
    pose_target: str = "127.0.0.1:17030"
    render_target: str = "127.0.0.1:17050"
    notify_target: str = "127.0.0.1:17060"
    aigen_target: str = "127.0.0.1:17040"
    # Deadline of calls to internal services; uploads stream for as long as they take.
    internal_call_timeout_s: float = Field(default=60.0, gt=0)

    # Seconds a live stream (SSE, WebSocket, gRPC watch) may stay quiet before
    # it sends a keep-alive and re-reads the jobs changed meanwhile.
    live_idle_s: float = Field(default=15.0, gt=0)

    # Request rate of a tenant without its own limit (token bucket shared by
    # every replica: `rate_limit_per_s` a second, bursts up to `rate_limit_burst`).
    rate_limit_per_s: float = Field(default=50.0, gt=0)
    rate_limit_burst: int = Field(default=100, ge=1)
    # How long an Idempotency-Key's first response is kept to be replayed.
    idempotency_ttl_s: float = Field(default=24 * 3600.0, gt=0)

    # Quotas of a tenant without its own (PATCH /v1/admin/tenants/{id}/quotas).
    default_max_upload_bytes: int = Field(default=10 * 1024**3, gt=0)
    default_max_media_duration_s: float = Field(default=4 * 3600.0, gt=0)
    default_max_concurrent_jobs: int = Field(default=20, gt=0)
    default_monthly_minutes: int = Field(default=60_000, gt=0)

    @model_validator(mode="after")
    def _operator_token_outside_development(self) -> GatewaySettings:
        if self.environment != "development" and len(self.operator_token.get_secret_value()) < 32:
            raise ValueError("set REELFORGE_OPERATOR_TOKEN to a random value of at least 32 characters")
        return self
