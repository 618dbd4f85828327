"""The public REST API: authentication, scopes, tenancy, jobs, problem+json."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import SecretStr

from reelforge_common.bus import Bus
from reelforge_common.db import Database
from reelforge_common.storage import ObjectStore
from reelforge_common.telemetry import Metrics
from reelforge_gateway.api.app import create_app
from reelforge_gateway.config import GatewaySettings
from reelforge_gateway.internal import InternalClients
from reelforge_gateway.job_view import JobViews
from reelforge_gateway.live import JobFeed
from reelforge_gateway.main import DEFINITION
from reelforge_gateway.projection import JobStatus, JobUpdate
from reelforge_gateway.store.jobs import apply_update

OPERATOR = "operator-token-for-tests-0123456789abcdef"


@pytest.fixture
async def api(db: Database, bus: Bus, store: ObjectStore) -> AsyncIterator[httpx.AsyncClient]:
    await db.migrate("gateway", DEFINITION.migrations)
    # Nothing listens there: these tests stay off the routes that call internal services.
    nowhere = "127.0.0.1:9"
    settings = GatewaySettings(
        operator_token=SecretStr(OPERATOR),
        ingest_target=nowhere,
        transcription_target=nowhere,
        pose_target=nowhere,
        internal_call_timeout_s=1,
    )
    clients = InternalClients.connect(settings)
    feed = JobFeed(bus, db.pool, JobViews(store), Metrics("gateway"))
    app = create_app(pool=db.pool, settings=settings, clients=clients, feed=feed)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
        yield client
    await clients.close()


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _tenant(api: httpx.AsyncClient, name: str) -> tuple[str, str]:
    """Create a tenant; returns (tenant id, token of its all-scopes key)."""
    response = await api.post("/v1/admin/tenants", json={"name": name}, headers=_auth(OPERATOR))
    assert response.status_code == 201, response.text
    body = response.json()
    return body["tenant"]["id"], body["api_key"]["token"]


async def _key(api: httpx.AsyncClient, admin_token: str, scopes: list[str]) -> dict[str, str]:
    response = await api.post("/v1/api-keys", json={"name": "k", "scopes": scopes}, headers=_auth(admin_token))
    assert response.status_code == 201, response.text
    key: dict[str, str] = response.json()
    return key


async def _job(db: Database, tenant: str, job: str, *, status: JobStatus, kind: str, minutes: int) -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    error = ("encode_failed", "ffmpeg exited with 1") if status is JobStatus.FAILED else (None, None)
    update = JobUpdate(
        tenant_id=tenant, job_id=job, kind=kind, status=status, at=at, error_code=error[0], error_message=error[1]
    )
    async with db.pool.acquire() as conn:
        await apply_update(conn, update)


def _assert_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (body["status"], body["code"], body["type"]) == (status, code, f"urn:reelforge:problem:{code}")


async def test_requests_without_a_valid_key_are_refused_with_401(api: httpx.AsyncClient) -> None:
    _, token = await _tenant(api, "acme")
    key_id = token.split("_")[1]
    for headers in [{}, _auth("not-a-key"), _auth("rf_unknown_secret"), _auth(f"rf_{key_id}_wrongsecret")]:
        response = await api.get("/v1/jobs", headers=headers)
        _assert_problem(response, 401, "unauthenticated")
        assert response.headers["www-authenticate"] == "Bearer"
    assert (await api.get("/v1/jobs", headers=_auth(token))).status_code == 200


async def test_only_the_operator_manages_tenants_and_names_are_unique(api: httpx.AsyncClient) -> None:
    _, token = await _tenant(api, "acme")
    _assert_problem(
        await api.post("/v1/admin/tenants", json={"name": "x"}, headers=_auth(token)), 401, "unauthenticated"
    )
    duplicate = await api.post("/v1/admin/tenants", json={"name": "acme"}, headers=_auth(OPERATOR))
    _assert_problem(duplicate, 409, "conflict")
    invalid = await api.post("/v1/admin/tenants", json={"name": "../etc"}, headers=_auth(OPERATOR))
    _assert_problem(invalid, 422, "validation_failed")
    assert "name" in invalid.json()["detail"]
    listed = await api.get("/v1/admin/tenants", headers=_auth(OPERATOR))
    assert [t["name"] for t in listed.json()] == ["acme"]


async def test_scopes_limit_what_a_key_may_do(api: httpx.AsyncClient) -> None:
    _, admin = await _tenant(api, "acme")
    reader = await _key(api, admin, ["read"])
    writer = await _key(api, admin, ["write"])
    assert (await api.get("/v1/jobs", headers=_auth(reader["token"]))).status_code == 200
    _assert_problem(await api.get("/v1/jobs", headers=_auth(writer["token"])), 403, "forbidden")
    _assert_problem(await api.get("/v1/api-keys", headers=_auth(reader["token"])), 403, "forbidden")
    bad_scope = await api.post("/v1/api-keys", json={"scopes": ["root"]}, headers=_auth(admin))
    _assert_problem(bad_scope, 422, "validation_failed")


async def test_revoked_and_rotated_keys_stop_working_at_once(api: httpx.AsyncClient) -> None:
    _, admin = await _tenant(api, "acme")
    doomed = await _key(api, admin, ["read"])
    assert (await api.delete(f"/v1/api-keys/{doomed['id']}", headers=_auth(admin))).status_code == 204
    _assert_problem(await api.get("/v1/jobs", headers=_auth(doomed["token"])), 401, "unauthenticated")
    _assert_problem(await api.delete(f"/v1/api-keys/{doomed['id']}", headers=_auth(admin)), 404, "not_found")

    old = await _key(api, admin, ["read", "write"])
    rotated = await api.post(f"/v1/api-keys/{old['id']}/rotate", headers=_auth(admin))
    assert rotated.status_code == 201
    new = rotated.json()
    assert (new["name"], sorted(new["scopes"])) == ("k", ["read", "write"])
    assert new["id"] != old["id"]
    _assert_problem(await api.get("/v1/jobs", headers=_auth(old["token"])), 401, "unauthenticated")
    assert (await api.get("/v1/jobs", headers=_auth(new["token"]))).status_code == 200
    listed = {k["id"]: k for k in (await api.get("/v1/api-keys", headers=_auth(admin))).json()}
    assert listed[old["id"]]["revoked_at"] is not None
    assert "token" not in listed[new["id"]]


async def test_another_tenants_resources_answer_404_on_every_route(api: httpx.AsyncClient, db: Database) -> None:
    acme, acme_admin = await _tenant(api, "acme")
    _, globex_admin = await _tenant(api, "globex")
    await _job(db, acme, "job-acme", status=JobStatus.RUNNING, kind="pose", minutes=1)
    acme_key = await _key(api, acme_admin, ["read"])
    intruder = _auth(globex_admin)

    _assert_problem(await api.get("/v1/jobs/job-acme", headers=intruder), 404, "not_found")
    _assert_problem(await api.get("/v1/jobs/job-that-never-was", headers=intruder), 404, "not_found")
    assert (await api.get("/v1/jobs", headers=intruder)).json()["items"] == []
    _assert_problem(await api.delete(f"/v1/api-keys/{acme_key['id']}", headers=intruder), 404, "not_found")
    _assert_problem(await api.post(f"/v1/api-keys/{acme_key['id']}/rotate", headers=intruder), 404, "not_found")
    assert acme_key["id"] not in [k["id"] for k in (await api.get("/v1/api-keys", headers=intruder)).json()]
    # and the owner still sees and holds them
    assert (await api.get("/v1/jobs/job-acme", headers=_auth(acme_admin))).json()["status"] == "running"
    assert (await api.get("/v1/jobs", headers=_auth(acme_key["token"]))).status_code == 200


async def test_jobs_page_newest_first_and_filter_by_status_and_kind(api: httpx.AsyncClient, db: Database) -> None:
    tenant, token = await _tenant(api, "acme")
    kinds = ["pose", "transcription", "pose", "render", "pose"]
    statuses = [JobStatus.SUCCEEDED, JobStatus.RUNNING, JobStatus.RUNNING, JobStatus.FAILED, JobStatus.QUEUED]
    for n, (kind, status) in enumerate(zip(kinds, statuses, strict=True)):
        await _job(db, tenant, f"job-{n}", status=status, kind=kind, minutes=n)

    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await api.get("/v1/jobs", params=params, headers=_auth(token))).json()
        seen += [job["id"] for job in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["job-4", "job-3", "job-2", "job-1", "job-0"]

    running_pose = await api.get("/v1/jobs", params={"status": "running", "kind": "pose"}, headers=_auth(token))
    assert [job["id"] for job in running_pose.json()["items"]] == ["job-2"]
    job = (await api.get("/v1/jobs/job-3", headers=_auth(token))).json()
    assert (job["kind"], job["status"]) == ("render", "failed")
    assert job["error"] == {"code": "encode_failed", "message": "ffmpeg exited with 1"}
    assert (await api.get("/v1/jobs/job-1", headers=_auth(token))).json()["error"] is None

    for params in ({"cursor": "garbage"}, {"limit": 0}, {"limit": 201}, {"status": "exploded"}):
        _assert_problem(await api.get("/v1/jobs", params=params, headers=_auth(token)), 422, "validation_failed")


async def test_openapi_documents_every_route_and_the_problem_schema(api: httpx.AsyncClient) -> None:
    schema = (await api.get("/openapi.json")).json()
    assert {"/v1/jobs", "/v1/jobs/{job_id}", "/v1/api-keys", "/v1/admin/tenants"} <= set(schema["paths"])
    assert "ProblemDetails" in schema["components"]["schemas"]
    responses = schema["paths"]["/v1/jobs/{job_id}"]["get"]["responses"]
    assert {"401", "403", "404"} <= set(responses)
    assert (await api.get("/docs")).status_code == 200


async def test_a_request_continues_the_callers_trace(api: httpx.AsyncClient, spans: InMemorySpanExporter) -> None:
    with trace.get_tracer("client").start_as_current_span("client call") as client_span:
        context = client_span.get_span_context()
        traceparent = f"00-{context.trace_id:032x}-{context.span_id:016x}-01"
    await api.get("/v1/jobs", headers={"traceparent": traceparent})
    server = next(s for s in spans.get_finished_spans() if s.name == "GET /v1/jobs")
    assert server.context.trace_id == context.trace_id
    assert server.parent is not None
    assert server.parent.span_id == context.span_id
