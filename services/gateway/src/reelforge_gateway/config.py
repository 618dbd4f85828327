"""Gateway settings (``REELFORGE_*`` plus the gateway's own)."""

from pydantic import Field

from reelforge_common.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    # Job events applied to the read model in parallel.
    projection_concurrency: int = Field(default=32, ge=1)
