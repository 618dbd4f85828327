"""Broken object-level authorisation sweep: another tenant's ids answer 404 everywhere."""

from __future__ import annotations

from conftest import Platform
from media_corpus import SPEECH
from test_assets import upload, wait_until_done


async def test_every_route_answers_404_for_another_tenants_resources(platform: Platform) -> None:
    _, alice = await platform.tenant("alice")
    _, mallory = await platform.tenant("mallory")
    asset = (await upload(platform, alice, SPEECH / "jfk.wav")).json()
    await wait_until_done(platform, alice, asset["id"])
    pending = (
        await platform.api.post("/v1/uploads", json={"filename": "x.mp4", "size_bytes": 10}, headers=alice)
    ).json()
    keys = (await platform.api.get("/v1/api-keys", headers=alice)).json()

    routes = [
        ("GET", f"/v1/assets/{asset['id']}"),
        ("GET", f"/v1/assets/{asset['id']}/download"),
        ("DELETE", f"/v1/assets/{asset['id']}"),
        ("GET", f"/v1/jobs/{asset['job_id']}"),
        ("GET", f"/v1/uploads/{pending['asset_id']}"),
        ("POST", f"/v1/uploads/{pending['asset_id']}/complete"),
        ("DELETE", f"/v1/uploads/{pending['asset_id']}"),
        ("DELETE", f"/v1/api-keys/{keys[0]['id']}"),
        ("POST", f"/v1/api-keys/{keys[0]['id']}/rotate"),
    ]
    for method, path in routes:
        response = await platform.api.request(method, path, headers=mallory)
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), (method, path, response.text)
    assert (await platform.api.get("/v1/assets", headers=mallory)).json()["items"] == []
    assert (await platform.api.get("/v1/jobs", headers=mallory)).json()["items"] == []

    # Alice still has everything.
    for method, path in routes[:2] + routes[3:5]:
        assert (await platform.api.request(method, path, headers=alice)).status_code == 200, path
