"""Presigned URLs: every one the API hands out lives no longer than its
service is configured for, and never past SigV4's 7 days; the settings refuse
a longer lifetime."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import figures
import pytest
from conftest import Platform
from media_corpus import POSE
from pydantic import ValidationError
from tenant_estate import job_ended, made, ready_asset
from test_generations import generate

from reelforge_aigen.config import AigenSettings
from reelforge_ingest.config import IngestSettings
from reelforge_render.config import RenderSettings

pytestmark = pytest.mark.security

SIGV4_MAX_S = 7 * 24 * 3600
UPLOAD_PARTS_S, RENDER_S, AIGEN_S = 7200, 900, 600
# Lifetimes set in code: asset downloads and derivatives (ingest), job outputs (gateway).
ASSET_URLS_S, JOB_OUTPUTS_S = 15 * 60, 3600
CONFIGURED = {
    "ingest": {"presign_expiry_s": UPLOAD_PARTS_S},
    "render": {"url_expiry_s": RENDER_S},
    "aigen": {"url_expiry_s": AIGEN_S},
}
SMALL = {"resolution": "720p", "quality": "low"}


def presigned(found: Any) -> Iterator[str]:
    """Every presigned URL in a JSON document."""
    if isinstance(found, dict):
        for value in found.values():
            yield from presigned(value)
    elif isinstance(found, list):
        for value in found:
            yield from presigned(value)
    elif isinstance(found, str) and "X-Amz-Signature=" in found:
        yield found


def expires_s(url: str) -> int:
    return int(parse_qs(urlsplit(url).query)["X-Amz-Expires"][0])


async def answers(platform: Platform, auth: dict[str, str]) -> dict[str, tuple[int, list[Any]]]:
    """The API's answers that carry presigned URLs, by what hands them out, with the lifetime configured for it."""
    asset = await ready_asset(platform, auth, POSE / "pose2sim_single_cam02.mp4")
    download = (await platform.api.get(f"/v1/assets/{asset['id']}/download", headers=auth)).json()
    upload = await made(platform, auth, "/v1/uploads", {"filename": "x.mp4", "size_bytes": 200 * 1024 * 1024})
    resumed = (await platform.api.get(f"/v1/uploads/{upload['asset_id']}", headers=auth)).json()
    ingest_job = (await platform.api.get(f"/v1/jobs/{asset['job_id']}", headers=auth)).json()
    generation = await generate(platform, auth, provider="local", prompt="a lighthouse", duration=2, resolution="480p")
    made_video = (await platform.api.get(f"/v1/generations/{generation['resource_id']}", headers=auth)).json()
    found = {
        "asset download and derivatives (ingest)": (ASSET_URLS_S, [asset, download]),
        "upload parts (ingest presign_expiry_s)": (UPLOAD_PARTS_S, [upload, resumed]),
        "job outputs (gateway)": (JOB_OUTPUTS_S, [ingest_job, generation]),
        "generation video (aigen url_expiry_s)": (AIGEN_S, [made_video]),
    }
    if figures.full_suite():
        project = await made(platform, auth, "/v1/projects", {"name": "reel"})
        await made(platform, auth, f"/v1/projects/{project['id']}/items", {"asset_id": asset["id"]})
        export_job = await job_ended(
            platform, auth, (await made(platform, auth, f"/v1/projects/{project['id']}/exports", SMALL))["id"]
        )
        export = (await platform.api.get(f"/v1/exports/{export_job['resource_id']}", headers=auth)).json()
        mix_body = {"groups": [[asset["id"]]], "variants": 1, "settings": SMALL}
        mix_job = await job_ended(platform, auth, (await made(platform, auth, "/v1/mixes", mix_body))["id"])
        mix = (await platform.api.get(f"/v1/mixes/{mix_job['resource_id']}", headers=auth)).json()
        found["export and mix videos (render url_expiry_s)"] = (RENDER_S, [export, mix])
        found["export and mix job outputs (gateway)"] = (JOB_OUTPUTS_S, [export_job, mix_job])
    return found


@pytest.mark.parametrize("platform", [CONFIGURED], indirect=True)
async def test_every_presigned_url_lives_no_longer_than_configured(platform: Platform) -> None:
    _, auth = await platform.tenant("acme")
    found = await answers(platform, auth)
    lifetimes = {what: (bound, [expires_s(url) for url in presigned(docs)]) for what, (bound, docs) in found.items()}
    over = {what: seen for what, (bound, seen) in lifetimes.items() if not seen or max(seen) > min(bound, SIGV4_MAX_S)}
    count = sum(len(seen) for _, seen in lifetimes.values())
    longest = max(max(seen, default=0) for _, seen in lifetimes.values())
    figures.record(
        "security", "presigned URL lifetimes", 1, int(not over),
        f"{count} URLs from {len(lifetimes)} sources, longest {longest} s, {count - sum(map(len, over.values()))}"
        f" within their configured lifetime (<= {SIGV4_MAX_S} s)",
    )  # fmt: skip
    assert over == {}


def test_settings_refuse_presigned_lifetimes_past_seven_days() -> None:
    base = {"database_url": "postgresql://x/y", "s3_access_key": "k", "s3_secret_key": "s"}
    for settings, field in ((IngestSettings, "presign_expiry_s"), (RenderSettings, "url_expiry_s"),
                            (AigenSettings, "url_expiry_s")):  # fmt: skip
        assert getattr(settings.model_validate({**base, field: 600}), field) == 600
        with pytest.raises(ValidationError):
            settings.model_validate({**base, field: SIGV4_MAX_S + 1})
