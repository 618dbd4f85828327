"""Ingest settings (``REELFORGE_*`` plus the service's own)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import Field

from reelforge_common.settings import ServiceSettings


class IngestSettings(ServiceSettings):
    # Local scratch space: uploads are spooled here while they stream to S3,
    # and processing works on local copies. Empty: the system's temp folder.
    work_dir: Path | None = None
    # Assets processed at once per replica (each runs one FFmpeg).
    processing_concurrency: int = Field(default=2, ge=1)
    # Seconds before an asset whose replica died goes to another replica.
    job_ack_wait_s: float = Field(default=60.0, ge=5.0)
    # Threads per FFmpeg process; 0 lets FFmpeg choose.
    ffmpeg_threads: int = Field(default=0, ge=0)

    # Limits every asset must meet, whatever the tenant's quotas.
    max_width: int = Field(default=4096, ge=16)
    max_height: int = Field(default=4096, ge=16)
    max_fps: float = Field(default=240.0, gt=0)
    max_duration_s: float = Field(default=12 * 3600.0, gt=0)
    max_streams: int = Field(default=16, ge=1)

    # Presigned multipart uploads.
    multipart_part_size: int = Field(default=64 * 1024 * 1024, ge=5 * 1024 * 1024)
    presign_expiry_s: int = Field(default=3600, ge=60, le=7 * 24 * 3600)

    # URL import: networks an operator allows despite being private, loopback
    # or link-local (e.g. "10.1.2.0/24" for an internal media server).
    import_allow_networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    import_timeout_s: float = Field(default=600.0, gt=0)
    import_max_redirects: int = Field(default=5, ge=0)

    # Derivatives.
    thumbnail_width: int = Field(default=640, ge=16)
    filmstrip_frames: int = Field(default=10, ge=1, le=100)
    filmstrip_frame_width: int = Field(default=160, ge=16)
    proxy_max_side: int = Field(default=640, ge=64)
    proxy_fps: float = Field(default=15.0, gt=0, le=60)
