"""URL import: an SSRF-safe, bounded download (:mod:`reelforge_common.safe_download`)
whose failures are the asset's refusal codes."""

from __future__ import annotations

from pathlib import Path

from reelforge_common.safe_download import DownloadError, download
from reelforge_common.safe_egress import AddressPolicy
from reelforge_ingest.refusals import RefusedError


async def fetch(
    url: str, destination: Path, *, policy: AddressPolicy, max_bytes: int, timeout_s: float, max_redirects: int
) -> str:
    """Download ``url`` into ``destination``; returns the final URL."""
    try:
        return await download(
            url,
            destination,
            policy=policy,
            max_bytes=max_bytes,
            timeout_s=timeout_s,
            max_redirects=max_redirects,
            user_agent="reelforge-ingest",
        )
    except DownloadError as exc:
        raise RefusedError("upload_too_large" if exc.code == "too_large" else exc.code, exc.detail) from None
