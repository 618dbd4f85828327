"""Broken object-level authorisation sweep: every route of the OpenAPI
document that names a resource, every request-body field that does, every
WebSocket route and every public gRPC method answer not found to another
tenant, and no listing shows it another tenant's things."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any, cast

import bola_grpc
import figures
import grpc
import pytest
from bola_bodies import cases, concrete_path, id_fields
from conftest import WITH_EVERYTHING, Platform
from fastapi.routing import APIWebSocketRoute
from media_corpus import IMAGES, POSE
from starlette.routing import BaseRoute
from tenant_estate import Estate, build_estate, made, ready_asset
from test_job_events import ws_url
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from reelforge_gateway.api.app import create_app

pytestmark = [pytest.mark.security, pytest.mark.parametrize("platform", [WITH_EVERYTHING], indirect=True)]

PARAMETER = re.compile(r"\{(\w+)\}")
METHODS = {"get", "post", "put", "patch", "delete"}
# Bodies valid enough to get past validation to the lookup ("{asset_id}":
# the estate's); other operations with a body get {}.
BODIES: dict[str, Any] = {
    "POST /v1/assets/{asset_id}/frames": {"position": "first"},
    "POST /v1/projects/{project_id}/items": {"asset_id": "{asset_id}"},
    "POST /v1/sessions/{session_id}/recordings": {"asset_id": "{asset_id}"},
    "PATCH /v1/characters/{character_id}": {"name": "mallory's"},
    "PUT /v1/admin/tenants/{tenant_id}/budget": {"monthly_usd": 1},
    "PATCH /v1/projects/{project_id}": {"name": "mallory's"},
    "PATCH /v1/projects/{project_id}/items/{item_id}": {"trim_in": 0},
    "PATCH /v1/webhooks/{webhook_id}": {"description": "mallory's"},
    "POST /v1/webhooks/{webhook_id}/replay": {"since": "2026-01-01T00:00:00Z"},
}
LIST_QUERIES: dict[str, dict[str, str]] = {"/v1/search": {"q": "hello"}}


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def concrete(estate: Estate, path: str) -> str:
    """``path`` with the estate's ids in its parameters; fails for a parameter
    the sweep has no id for, so that a new route cannot escape it."""

    def substitute(match: re.Match[str]) -> str:
        found = estate.id_for(path, match.group(1))
        assert found is not None, f"the BOLA sweep has no id for {{{match.group(1)}}} in {path}: add one to the estate"
        return found

    return PARAMETER.sub(substitute, path)


def operator_only(operation: dict[str, Any]) -> bool:
    return "operator" in operation.get("tags", [])


def streams(operation: dict[str, Any]) -> bool:
    return "text/event-stream" in operation.get("responses", {}).get("200", {}).get("content", {})


async def call(
    platform: Platform, method: str, path: str, auth: dict[str, str], body: Any, **params: str
) -> tuple[int, str]:
    """The status and body of a call; a stream's body is not read."""
    async with platform.api.stream(method, path, json=body, headers=auth, params=params) as response:
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            return response.status_code, ""
        return response.status_code, (await response.aread()).decode()


async def path_sweep(
    platform: Platform, estate: Estate, caller: dict[str, str], spec: dict[str, Any]
) -> dict[str, Any]:
    """Every templated operation with ``estate``'s ids: what answered other than expected."""
    wrong: dict[str, Any] = {}
    for method, path, operation in operations(spec):
        if not PARAMETER.search(path):
            continue
        body = BODIES.get(f"{method} {path}", {} if "requestBody" in operation else None)
        if isinstance(body, dict):
            body = {name: estate.ids["asset_id"] if value == "{asset_id}" else value for name, value in body.items()}
        status, text = await call(platform, method, concrete(estate, path), caller, body)
        answer = (status, json.loads(text).get("code", "") if text else "")
        if answer != ((401, "unauthenticated") if operator_only(operation) else (404, "not_found")):
            wrong[f"{method} {path}"] = answer
    return wrong


def websocket_paths(platform: Platform) -> list[str]:
    """The API's WebSocket routes, which the OpenAPI document leaves out (the app is only inspected)."""
    app = create_app(
        pool=cast(Any, None), settings=platform.gateway.settings, clients=cast(Any, None), feed=cast(Any, None)
    )
    return [route.path for route in _flattened(app.routes) if isinstance(route, APIWebSocketRoute)]


def _flattened(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    """Routes, with those of included routers (included without a prefix, as the app does) in their place."""
    for route in routes:
        included = getattr(route, "original_router", None)
        yield from _flattened(included.routes) if included is not None else (route,)


async def websocket_sweep(platform: Platform, estate: Estate, caller: dict[str, str]) -> dict[str, Any]:
    """Every templated WebSocket route with ``estate``'s ids: which was not closed with 4404 not_found."""
    wrong: dict[str, Any] = {}
    for path in filter(PARAMETER.search, websocket_paths(platform)):
        async with connect(ws_url(platform, concrete(estate, path)), additional_headers=caller) as ws:
            try:
                await ws.recv()
            except ConnectionClosed as closed:
                answer = (closed.rcvd.code, closed.rcvd.reason) if closed.rcvd else None
            else:
                answer = None
        if answer != (4404, "not_found"):
            wrong[f"WEBSOCKET {path}"] = answer
    return wrong


async def own_resources(platform: Platform, auth: dict[str, str]) -> dict[str, str]:
    """The caller's own video, project, session and character, for the paths of the body sweep."""
    video = (await ready_asset(platform, auth, POSE / "pose2sim_single_cam01.mp4"))["id"]
    image = (await ready_asset(platform, auth, IMAGES / "grace_hopper.jpg"))["id"]
    return {
        "video": video,
        "project_id": (await made(platform, auth, "/v1/projects", {"name": "mallory's"}))["id"],
        "session_id": (await made(platform, auth, "/v1/sessions", {"name": "m", "reference_asset_id": video}))["id"],
        "character_id": (await made(platform, auth, "/v1/characters", {"name": "m", "image_asset_id": image}))["id"],
    }


async def test_every_route_and_body_answers_404_for_another_tenants_resources(platform: Platform) -> None:
    alice_id, alice = await platform.tenant("alice")
    _, mallory = await platform.tenant("mallory")
    estate, mine = await asyncio.gather(build_estate(platform, alice_id, alice), own_resources(platform, mallory))
    spec = (await platform.api.get("/openapi.json")).json()
    templated = [(m, p, op) for m, p, op in operations(spec) if PARAMETER.search(p)]

    wrong_paths = await path_sweep(platform, estate, mallory, spec)
    wrong_paths |= await websocket_sweep(platform, estate, mallory)
    sockets = len(list(filter(PARAMETER.search, websocket_paths(platform))))
    sweep = cases(estate, mine)
    wrong_bodies: dict[str, Any] = {}
    for case in sweep:
        status, text = await call(platform, case.method, concrete_path(case, mine), mallory, case.body)
        if (answer := (status, json.loads(text).get("code", "") if text else "")) != (404, "not_found"):
            wrong_bodies[case.name] = answer
    uncovered = id_fields(spec) - {case.name for case in sweep}
    async with grpc.aio.insecure_channel(f"127.0.0.1:{platform.gateway.grpc_port}") as channel:
        metadata = (("authorization", mallory["Authorization"]),)
        grpc_tried, wrong_grpc = await bola_grpc.sweep(channel, estate, mine["video"], metadata)
    figures.record(
        "security", "BOLA: another tenant's ids on every templated route", 1, int(not wrong_paths),
        f"{len(templated)} operations + {sockets} WebSocket routes, "
        f"{len(templated) + sockets - len(wrong_paths)}/{len(templated) + sockets} answered 404 (operator routes 401)",
    )  # fmt: skip
    figures.record(
        "security", "BOLA: another tenant's ids in request bodies", 1, int(not wrong_bodies and not uncovered),
        f"{len(sweep)} body fields naming resources, {len(sweep) - len(wrong_bodies)}/{len(sweep)} answered 404",
    )  # fmt: skip
    figures.record(
        "security", "BOLA: another tenant's ids on the public gRPC API", 1, int(not wrong_grpc),
        f"{grpc_tried} (method, id field) pairs, {grpc_tried - len(wrong_grpc)}/{grpc_tried} answered NOT_FOUND "
        "(listings: nothing of theirs)",
    )  # fmt: skip
    assert wrong_paths == {}
    assert wrong_grpc == {}
    assert uncovered == set(), "request-body fields naming resources that the sweep does not try"
    assert wrong_bodies == {}
    assert (await platform.api.get(f"/v1/projects/{mine['project_id']}", headers=mallory)).json()["items"] == []

    # No listing shows mallory anything of alice's.
    theirs = estate.all_ids()
    for method, path, operation in operations(spec):
        if method != "GET" or PARAMETER.search(path) or operator_only(operation) or streams(operation):
            continue
        status, text = await call(platform, method, path, mallory, None, **LIST_QUERIES.get(path, {}))
        assert status == 200, (path, text)
        assert [i for i in theirs if i in text] == [], (path, text)

    # Alice still has every one of her things.
    for method, path, operation in templated:
        if method == "GET" and not operator_only(operation) and not streams(operation):
            status, text = await call(platform, method, concrete(estate, path), alice, None)
            assert status != 404, (path, text)
