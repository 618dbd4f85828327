"""aigen settings (``REELFORGE_*`` plus the service's own).

Provider credentials come from the environment or, for a mounted secret,
from a file named by ``<NAME>_FILE`` (``REELFORGE_MINIMAX_API_KEY_FILE``);
they are ``SecretStr`` and never logged.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr, model_validator

from reelforge_common.settings import ServiceSettings

_SECRETS = ("minimax_api_key", "segmind_api_key", "llm_api_key")


class RateLimit(BaseModel):
    """A token bucket: ``per_minute`` requests a minute, bursts up to ``burst``."""

    per_minute: float = Field(gt=0)
    burst: int = Field(default=1, ge=1)


# Providers' documented request rates (MiniMax video: 20 RPM on paid accounts;
# Segmind Pro: 50 RPM) and a generous default for the chat model.
DEFAULT_PROVIDER_LIMITS = {
    "minimax": RateLimit(per_minute=20, burst=5),
    "segmind": RateLimit(per_minute=50, burst=10),
    "llm": RateLimit(per_minute=500, burst=50),
    "local": RateLimit(per_minute=600, burst=20),
}


class AigenSettings(ServiceSettings):
    # gRPC address of ingest, where generated videos become assets.
    ingest_target: str = "127.0.0.1:17010"
    internal_call_timeout_s: float = Field(default=60.0, gt=0)
    # Local scratch space (images sent, videos received). Empty: the system's temp folder.
    work_dir: Path | None = None

    # MiniMax video generation (https://api.minimax.io); off without a key.
    minimax_api_key: SecretStr = SecretStr("")
    minimax_base_url: str = "https://api.minimax.io"
    # Sent as GroupId when retrieving files, for accounts that need it.
    minimax_group_id: str = ""
    minimax_default_model: str = "MiniMax-Hailuo-02"
    # Segmind (https://api.segmind.com); off without a key.
    segmind_api_key: SecretStr = SecretStr("")
    segmind_base_url: str = "https://api.segmind.com"
    segmind_default_model: str = "kling-text2video"
    # An OpenAI-compatible chat completions API (base URL ending before
    # /chat/completions, e.g. https://api.openai.com/v1); off when empty.
    llm_base_url: str = ""
    llm_api_key: SecretStr = SecretStr("")
    llm_model: str = "gpt-4o-mini"
    # The offline procedural provider ("local").
    local_provider: bool = True

    # Deadline of one HTTP request to a provider.
    provider_timeout_s: float = Field(default=30.0, gt=0)
    # Calls per provider request: the first and its retries (retryable errors only).
    provider_max_attempts: int = Field(default=4, ge=1)
    # Jittered exponential backoff between retries: base and cap.
    provider_backoff_s: float = Field(default=1.0, gt=0)
    provider_backoff_max_s: float = Field(default=30.0, gt=0)
    # A Retry-After longer than this is not waited for: the call fails (and falls back).
    max_retry_after_s: float = Field(default=120.0, gt=0)
    # Between polls of a provider's task.
    poll_interval_s: float = Field(default=10.0, gt=0)
    # A generation not finished after this long fails (generation_timeout).
    generation_timeout_s: float = Field(default=1800.0, gt=0)
    # Consecutive failed calls that open a provider's circuit, and how long it stays open.
    breaker_failures: int = Field(default=5, ge=1)
    breaker_cooldown_s: float = Field(default=30.0, gt=0)
    # Providers tried, in order, when one is unavailable: {"minimax": ["segmind", "local"]}.
    fallbacks: dict[str, list[str]] = {}
    # Per-provider rate limits, shared by every replica (merged over the defaults).
    provider_rate_limits: dict[str, RateLimit] = {}
    # Each tenant's share of each provider.
    tenant_rate_limit: RateLimit = RateLimit(per_minute=30, burst=5)
    # Prices, merged over the built-in table (see pricing.py): {"minimax": {"MiniMax-Hailuo-02": {...}}}.
    pricing: dict[str, dict[str, Any]] = {}
    # Monthly budget of a tenant without its own, in USD; 0: unlimited.
    default_monthly_budget_usd: float = Field(default=100.0, ge=0)
    # Generations worked on at once per replica (most of the time is waiting on providers).
    generation_concurrency: int = Field(default=32, ge=1)
    # Seconds before a generation whose replica died goes to another replica.
    job_ack_wait_s: float = Field(default=60.0, ge=5.0)
    # Largest video accepted from a provider.
    max_video_bytes: int = Field(default=1024**3, gt=0)
    # Networks result downloads may reach although they are not public (an
    # operator's allowlist, e.g. an in-cluster fake; loopback, private and metadata otherwise refused).
    download_allow_networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    # Lifetime of presigned video URLs in answers.
    url_expiry_s: int = Field(default=3600, ge=60, le=3600)

    @model_validator(mode="before")
    @classmethod
    def _secrets_from_files(cls, data: Any) -> Any:
        """``REELFORGE_<NAME>_FILE`` names a file holding the secret (a mounted Kubernetes secret)."""
        if not isinstance(data, dict):
            return data
        for name in _SECRETS:
            path = os.environ.get(f"REELFORGE_{name.upper()}_FILE")
            if path and not data.get(name):
                data = {**data, name: Path(path).read_text().strip()}
        return data

    def rate_limit(self, provider: str) -> RateLimit:
        return self.provider_rate_limits.get(provider) or DEFAULT_PROVIDER_LIMITS.get(
            provider, RateLimit(per_minute=60, burst=5)
        )
