"""One resource of every kind the API serves, made for a tenant: what the
BOLA sweep calls another tenant's routes with."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from conftest import Platform
from media_corpus import IMAGES, POSE
from support import wait_for
from test_assets import upload, wait_until_done

# Nothing listens there: a delivery is made (and fails), which is all the sweep needs.
HOOK_URL = "http://127.0.0.2:9/hook"
SMALL = {"resolution": "720p", "quality": "low"}


@dataclass
class Estate:
    """A tenant's resources by the path parameter that names them; ``by_path``
    holds the ids of routes whose parameter names another kind of resource
    (``/v1/uploads/{asset_id}`` is a pending upload, not a ready asset)."""

    ids: dict[str, str] = field(default_factory=dict)
    by_path: dict[str, dict[str, str]] = field(default_factory=dict)
    image_id: str = ""  # a still image asset (a character's reference)

    def id_for(self, path: str, parameter: str) -> str | None:
        for prefix, ids in self.by_path.items():
            if path.startswith(prefix) and parameter in ids:
                return ids[parameter]
        return self.ids.get(parameter)

    def all_ids(self) -> set[str]:
        return {self.image_id, *self.ids.values(), *(i for ids in self.by_path.values() for i in ids.values())}


async def made(platform: Platform, auth: dict[str, str], path: str, body: dict[str, Any] | None = None) -> Any:
    """POST ``body``; a 409 or 503 while the services catch up with a new
    asset is retried."""
    response = None

    async def accepted() -> bool:
        nonlocal response
        response = await platform.api.post(path, json=body, headers=auth)
        return response.status_code not in {409, 503}

    await wait_for(accepted, timeout_s=60, what=f"POST {path} to be accepted")
    assert response is not None
    assert response.status_code in {200, 201, 202}, (path, response.text)
    return response.json()


async def ready_asset(platform: Platform, auth: dict[str, str], path: Any) -> dict[str, Any]:
    accepted = await upload(platform, auth, path)
    assert accepted.status_code == 201, accepted.text
    asset = await wait_until_done(platform, auth, accepted.json()["id"])
    assert asset["status"] == "ready", asset
    return asset


async def job_ended(platform: Platform, auth: dict[str, str], job_id: str) -> dict[str, Any]:
    job: dict[str, Any] = {}

    async def ended() -> bool:
        nonlocal job
        job = (await platform.api.get(f"/v1/jobs/{job_id}", headers=auth)).json()
        return job["status"] in {"succeeded", "failed"}

    await wait_for(ended, timeout_s=240, what=f"job {job_id} to end")
    return job


async def build_estate(platform: Platform, tenant_id: str, auth: dict[str, str]) -> Estate:
    """Accepted (not necessarily finished) resources of every kind, ids by parameter."""
    reference, attempt, image = await asyncio.gather(
        ready_asset(platform, auth, POSE / "pose2sim_single_cam01.mp4"),
        ready_asset(platform, auth, POSE / "pose2sim_single_cam02.mp4"),
        ready_asset(platform, auth, IMAGES / "astronaut.png"),
    )
    estate = Estate(image_id=image["id"])
    ids = estate.ids
    ids["tenant_id"] = tenant_id
    ids["asset_id"], ids["job_id"] = attempt["id"], attempt["job_id"]
    pending = await made(platform, auth, "/v1/uploads", {"filename": "x.mp4", "size_bytes": 10})
    estate.by_path["/v1/uploads/"] = {"asset_id": pending["asset_id"]}
    ids["key_id"] = (await platform.api.get("/v1/api-keys", headers=auth)).json()[0]["id"]

    comparison = await made(
        platform, auth, "/v1/comparisons", {"reference_asset_id": reference["id"], "attempt_asset_id": attempt["id"]}
    )
    ids["comparison_id"] = comparison["resource_id"]
    await made(platform, auth, "/v1/transcriptions", {"asset_id": attempt["id"]})
    await made(platform, auth, "/v1/pose-analyses", {"asset_id": reference["id"]})
    ids["clip_job_id"] = (await made(platform, auth, "/v1/clip-jobs", {"asset_id": attempt["id"]}))["resource_id"]
    generation = {"provider": "local", "prompt": "a lighthouse at dusk", "duration": 2, "resolution": "480p"}
    ids["generation_id"] = (await made(platform, auth, "/v1/generations", generation))["resource_id"]
    character = {"name": "Grace", "image_asset_id": image["id"]}
    ids["character_id"] = (await made(platform, auth, "/v1/characters", character))["id"]

    webhook = await made(platform, auth, "/v1/webhooks", {"url": HOOK_URL})
    ids["webhook_id"] = webhook["id"]
    await made(platform, auth, f"/v1/webhooks/{webhook['id']}/test")

    project = await made(platform, auth, "/v1/projects", {"name": "alice's reel"})
    project = await made(platform, auth, f"/v1/projects/{project['id']}/items", {"asset_id": attempt["id"]})
    ids["project_id"], ids["item_id"] = project["id"], project["items"][0]["id"]
    ids["export_id"] = (await made(platform, auth, f"/v1/projects/{project['id']}/exports", SMALL))["resource_id"]
    mix = {"name": "ab", "groups": [[reference["id"]], [attempt["id"]]], "variants": 1, "settings": SMALL}
    ids["mix_id"] = (await made(platform, auth, "/v1/mixes", mix))["resource_id"]

    session = await made(platform, auth, "/v1/sessions", {"name": "warm-up", "reference_asset_id": reference["id"]})
    ids["session_id"] = session["id"]
    await made(platform, auth, f"/v1/sessions/{session['id']}/recordings", {"asset_id": attempt["id"]})
    session_export = await made(platform, auth, f"/v1/sessions/{session['id']}/exports", {})
    estate.by_path["/v1/session-exports/"] = {"export_id": session_export["resource_id"]}

    # A comparison's video needs the comparison done; deliveries appear once notify has tried.
    assert (await job_ended(platform, auth, comparison["id"]))["status"] == "succeeded"
    ids["video_id"] = (await made(platform, auth, f"/v1/comparisons/{ids['comparison_id']}/video", {}))["resource_id"]

    async def delivered() -> bool:
        found = await platform.api.get(f"/v1/webhooks/{webhook['id']}/deliveries", headers=auth)
        for item in found.json()["items"][:1]:
            ids["delivery_id"] = item["id"]
        return "delivery_id" in ids

    await wait_for(delivered, timeout_s=30, what="the test delivery to be logged")
    return estate
