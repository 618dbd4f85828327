"""The SDK against fake servers: errors, retries, pagination, waiting, SSE, quotas, transcriptions."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from reelforge_sdk import AsyncClient, Client, Job, JobOutput, ReelforgeError, RetryPolicy
from reelforge_sdk.sse import ServerSentEvent, SSEDecoder

API = "http://api.test"
TOKEN = "rf_k1_secret"
FAST = RetryPolicy(max_retries=3, jitter=lambda d: d)
Handler = Callable[[httpx.Request], httpx.Response]


def problem(status: int, code: str, detail: str = "", **headers: str) -> httpx.Response:
    body = {"type": f"urn:reelforge:problem:{code}", "title": code.title(), "status": status, "detail": detail}
    return httpx.Response(
        status, json={**body, "code": code}, headers={"Content-Type": "application/problem+json", **headers}
    )


def asset_json(asset_id: str = "a_1", status: str = "ready", **extra: Any) -> dict[str, Any]:
    return {
        "id": asset_id,
        "job_id": "j_1",
        "status": status,
        "filename": "clip.mp4",
        "content_type": "video/mp4",
        "size_bytes": 1234,
        "source": "upload",
        "media": None,
        "derivatives": {},
        "error": None,
        "created_at": "2025-01-01T00:00:00Z",
        "updated_at": "2025-01-01T00:00:01Z",
        **extra,
    }


def job_json(status: str = "running", progress: float = 0.5, stage: str = "probe", **extra: Any) -> dict[str, Any]:
    return {
        "id": "j_1",
        "kind": "ingest",
        "status": status,
        "stage": stage,
        "progress": progress,
        "resource_id": "a_1",
        "created_at": "2025-01-01T00:00:00+00:00",
        "updated_at": f"2025-01-01T00:00:{int(progress * 10):02d}+00:00",
        "error": None,
        **extra,
    }


def quota_report_json(**quotas: Any) -> dict[str, Any]:
    return {
        "tenant_id": "t_1",
        "quotas": {
            "max_upload_bytes": 5_000_000_000,
            "max_media_duration_s": 14400.0,
            "max_concurrent_jobs": 4,
            "monthly_minutes": 500,
            "rate_limit_per_s": 20.0,
            "rate_limit_burst": 40,
            "defaults": ["max_concurrent_jobs", "max_media_duration_s", "max_upload_bytes", "rate_limit_per_s"],
            **quotas,
        },
        "usage": {"month": "2025-01-01", "minutes_used": 12.5, "active_jobs": 1},
    }


def client(handler: Handler, **kwargs: Any) -> Client:
    kwargs.setdefault("retry", FAST)
    kwargs.setdefault("sleep", lambda _: None)
    return Client(API, TOKEN, transport=httpx.MockTransport(handler), **kwargs)


# Errors


def test_a_problem_document_becomes_a_reelforge_error_with_its_fields() -> None:
    with client(lambda _: problem(404, "not_found", "no asset a_9")) as c, pytest.raises(ReelforgeError) as caught:
        c.get_asset("a_9")

    error = caught.value
    assert (error.status, error.code, error.title, error.detail) == (404, "not_found", "Not_Found", "no asset a_9")
    assert error.type == "urn:reelforge:problem:not_found"
    assert str(error) == "not_found: no asset a_9 (HTTP 404)"
    assert error.to_dict() == {"status": 404, "code": "not_found", "title": "Not_Found", "detail": "no asset a_9"}


def test_an_error_without_a_problem_document_gets_a_code_from_its_status() -> None:
    answer = httpx.Response(502, text="<html>bad gateway</html>", headers={"Content-Type": "text/html"})
    with client(lambda _: answer, retry=RetryPolicy(max_retries=0)) as c, pytest.raises(ReelforgeError) as caught:
        c.get_job("j_1")

    assert (caught.value.status, caught.value.code) == (502, "bad_gateway")


def test_an_unreachable_api_is_a_network_error_after_bounded_retries() -> None:
    attempts: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        raise httpx.ConnectError("connection refused", request=request)

    sleeps: list[float] = []
    with client(refuse, sleep=sleeps.append) as c, pytest.raises(ReelforgeError) as caught:
        c.list_assets()

    assert caught.value.code == "network_error"
    assert caught.value.status is None
    assert "connection refused" in caught.value.detail
    assert len(attempts) == 4
    assert sleeps == [0.5, 1.0, 2.0]


def test_a_missing_api_key_is_reported_without_sending(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REELFORGE_API_KEY", raising=False)
    sent: list[httpx.Request] = []
    with Client(API, transport=httpx.MockTransport(sent.append)) as c, pytest.raises(ReelforgeError) as caught:  # type: ignore[arg-type]
        c.list_jobs()

    assert caught.value.code == "missing_api_key"
    assert sent == []


# Retries


def test_429_is_retried_after_its_retry_after_with_the_same_idempotency_key() -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if len(requests) == 1:
            return problem(429, "rate_limited", "slow down", **{"Retry-After": "2"})
        return httpx.Response(202, json=asset_json(status="importing", source="import"))

    sleeps: list[float] = []
    with client(handler, sleep=sleeps.append) as c:
        asset = c.import_url("https://example.com/talk.mp4")

    assert asset.status == "importing"
    assert sleeps == [2.0]
    keys = {r.headers["idempotency-key"] for r in requests}
    assert len(keys) == 1
    assert uuid.UUID(keys.pop()).version == 4
    assert json.loads(requests[1].content) == {"url": "https://example.com/talk.mp4"}


def test_503_is_retried_a_bounded_number_of_times() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return problem(503, "unavailable", "database down")

    with client(handler) as c, pytest.raises(ReelforgeError) as caught:
        c.get_job("j_1")

    assert caught.value.code == "unavailable"
    assert len(calls) == 4


@pytest.mark.parametrize(
    ("answer", "attempts"),
    [
        (problem(429, "monthly_minutes_exceeded", "all minutes used"), 1),
        (problem(429, "rate_limited", "later", **{"Retry-After": "3600"}), 1),
        (problem(502, "url_fetch_failed", "the URL answered 404"), 1),
        (httpx.Response(502, text="<html>proxy</html>", headers={"Content-Type": "text/html"}), 4),
        (httpx.Response(504, text=""), 4),
    ],
    ids=["429-without-retry-after", "retry-after-too-long", "502-from-the-api", "502-from-a-proxy", "504"],
)
def test_only_answers_that_waiting_can_fix_are_retried(answer: httpx.Response, attempts: int) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return answer

    with client(handler) as c, pytest.raises(ReelforgeError) as caught:
        c.import_url("https://example.com/a.mp4")

    assert len(calls) == attempts
    assert caught.value.status == answer.status_code


def test_client_errors_are_not_retried() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return problem(422, "validation_failed", "name: too long")

    with client(handler) as c, pytest.raises(ReelforgeError):
        c.create_api_key("x" * 200)

    assert len(calls) == 1


def test_every_post_gets_a_fresh_idempotency_key_unless_one_is_given() -> None:
    keys: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers["idempotency-key"])
        return httpx.Response(202, json=asset_json(status="importing"))

    with client(handler) as c:
        c.import_url("https://example.com/a.mp4")
        c.import_url("https://example.com/a.mp4")
        c.import_url("https://example.com/a.mp4", idempotency_key="mine-1")

    assert keys[0] != keys[1]
    assert keys[2] == "mine-1"


# Configuration and authentication


def test_the_url_and_key_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REELFORGE_API_URL", "http://env.test:9000/")
    monkeypatch.setenv("REELFORGE_API_KEY", "rf_env_key")
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=job_json())

    with Client(transport=httpx.MockTransport(handler)) as c:
        c.get_job("j_1")

    assert str(seen[0].url) == "http://env.test:9000/v1/jobs/j_1"
    assert seen[0].headers["authorization"] == "Bearer rf_env_key"


def test_admin_calls_use_the_operator_token() -> None:
    seen: list[httpx.Request] = []
    created = {
        "tenant": {"id": "t_1", "name": "acme", "created_at": "2025-01-01T00:00:00Z"},
        "api_key": {
            "id": "k_1",
            "name": "initial",
            "scopes": ["read", "write", "admin"],
            "created_at": "2025-01-01T00:00:00Z",
            "revoked_at": None,
            "token": "rf_k_1_s",
        },
    }

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "POST":
            return httpx.Response(201, json=created)
        return httpx.Response(200, json=[created["tenant"]])

    with client(handler) as c:
        result = c.create_tenant("acme", "op-token")
        tenants = c.list_tenants("op-token")

    assert result.tenant.id == "t_1"
    assert result.api_key.token == "rf_k_1_s"
    assert result.api_key.scopes == ("read", "write", "admin")
    assert result.raw == created
    assert [t.name for t in tenants] == ["acme"]
    assert all(r.headers["authorization"] == "Bearer op-token" for r in seen)
    assert json.loads(seen[0].content) == {"name": "acme"}


def test_api_key_calls_hit_their_routes() -> None:
    seen: list[tuple[str, str]] = []
    key = {"id": "k_2", "name": "ci", "scopes": ["read"], "created_at": "2025-01-01T00:00:00Z", "revoked_at": None}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path))
        if request.method == "DELETE":
            return httpx.Response(204)
        if request.method == "GET":
            return httpx.Response(200, json=[key])
        return httpx.Response(201, json={**key, "token": "rf_k_2_s"})

    with client(handler) as c:
        assert c.create_api_key("ci", ["read"]).token == "rf_k_2_s"
        assert c.list_api_keys()[0].token is None
        c.revoke_api_key("k_2")
        assert c.rotate_api_key("k_2").token == "rf_k_2_s"

    assert seen == [
        ("POST", "/v1/api-keys"),
        ("GET", "/v1/api-keys"),
        ("DELETE", "/v1/api-keys/k_2"),
        ("POST", "/v1/api-keys/k_2/rotate"),
    ]


# Quotas


def test_a_quota_report_parses_quotas_defaults_and_usage() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=quota_report_json())

    with client(handler) as c:
        report = c.get_quotas()

    assert (seen[0].method, seen[0].url.path) == ("GET", "/v1/quotas")
    assert seen[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert report.tenant_id == "t_1"
    assert report.quotas.monthly_minutes == 500
    assert report.quotas.max_media_duration_s == 14400.0
    assert report.quotas.limits()["rate_limit_burst"] == 40
    assert "monthly_minutes" not in report.quotas.defaults
    assert (report.usage.month, report.usage.minutes_used, report.usage.active_jobs) == (date(2025, 1, 1), 12.5, 1)
    assert report.raw == quota_report_json()


def test_tenant_quotas_are_read_with_the_operator_token() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={**quota_report_json(), "tenant_id": "t/2"})

    with client(handler) as c:
        report = c.tenant_quotas("t/2", "op-token")

    assert report.tenant_id == "t/2"
    assert seen[0].method == "GET"
    assert seen[0].url.raw_path == b"/v1/admin/tenants/t%2F2/quotas"
    assert seen[0].headers["authorization"] == "Bearer op-token"


def test_set_tenant_quotas_sends_a_merge_patch_with_none_as_null_and_nothing_else() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=quota_report_json(rate_limit_burst=5))

    with client(handler) as c:
        report = c.set_tenant_quotas("t_1", "op-token", monthly_minutes=None, rate_limit_burst=5)

    [request] = seen
    assert (request.method, request.url.path) == ("PATCH", "/v1/admin/tenants/t_1/quotas")
    assert request.headers["authorization"] == "Bearer op-token"
    assert request.headers["content-type"] == "application/json"
    assert "idempotency-key" not in request.headers
    assert json.loads(request.content) == {"monthly_minutes": None, "rate_limit_burst": 5}
    assert report.quotas.rate_limit_burst == 5


def test_an_unknown_quota_name_is_the_apis_validation_problem() -> None:
    with (
        client(lambda _: problem(422, "validation_failed", "max_cats: extra inputs are not permitted")) as c,
        pytest.raises(ReelforgeError) as caught,
    ):
        c.set_tenant_quotas("t_1", "op-token", max_cats=3)

    assert (caught.value.status, caught.value.code) == (422, "validation_failed")


# Jobs: outputs


def test_a_job_parses_its_outputs() -> None:
    outputs = {
        "thumbnail": {"url": "https://s3.test/t.jpg?X-Amz-Signature=a", "expires_at": "2025-01-01T01:00:00Z"},
        "proxy": {"url": "https://s3.test/p.mp4?X-Amz-Signature=b", "expires_at": "2025-01-01T01:00:00+00:00"},
    }
    with client(lambda _: httpx.Response(200, json=job_json("succeeded", 1.0, outputs=outputs))) as c:
        job = c.get_job("j_1")

    expires = datetime(2025, 1, 1, 1, tzinfo=UTC)
    assert job.outputs == {
        "thumbnail": JobOutput(url="https://s3.test/t.jpg?X-Amz-Signature=a", expires_at=expires),
        "proxy": JobOutput(url="https://s3.test/p.mp4?X-Amz-Signature=b", expires_at=expires),
    }
    assert job.raw["outputs"] == outputs


@pytest.mark.parametrize("body", [job_json(outputs={}), job_json()], ids=["empty", "missing"])
def test_a_job_without_outputs_has_none(body: dict[str, Any]) -> None:
    with client(lambda _: httpx.Response(200, json={"items": [body], "next_cursor": None})) as c:
        [job] = c.list_jobs().items

    assert job.outputs == {}


# Assets: parsing, pagination, waiting


def test_an_asset_parses_its_media_and_derivatives() -> None:
    media = {
        "duration_s": 12.5,
        "width": 1920,
        "height": 1080,
        "fps": 29.97,
        "video_codec": "h264",
        "audio_codec": "aac",
        "audio_channels": 2,
        "audio_sample_rate": 48000,
        "rotation_deg": 90,
        "container": "mov,mp4",
        "has_video": True,
        "has_audio": True,
    }
    body = asset_json(media=media, derivatives={"thumbnail": "https://s3.test/t.jpg"})
    with client(lambda _: httpx.Response(200, json=body)) as c:
        asset = c.get_asset("a_1")

    assert asset.media is not None
    assert (asset.media.width, asset.media.rotation_deg, asset.media.duration_s) == (1920, 90, 12.5)
    assert asset.derivatives == {"thumbnail": "https://s3.test/t.jpg"}
    assert asset.is_terminal
    assert asset.created_at.year == 2025


def test_iter_assets_follows_the_cursors_to_the_last_page() -> None:
    pages = {
        None: {"items": [asset_json("a_1"), asset_json("a_2")], "next_cursor": "c2"},
        "c2": {"items": [asset_json("a_3")], "next_cursor": "c3"},
        "c3": {"items": [], "next_cursor": None},
    }
    queries: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        queries.append(dict(request.url.params))
        return httpx.Response(200, json=pages[request.url.params.get("cursor")])

    with client(handler) as c:
        ids = [a.id for a in c.iter_assets(status="ready", page_size=2)]

    assert ids == ["a_1", "a_2", "a_3"]
    assert queries == [
        {"status": "ready", "limit": "2"},
        {"status": "ready", "limit": "2", "cursor": "c2"},
        {"status": "ready", "limit": "2", "cursor": "c3"},
    ]


def test_iter_jobs_follows_the_cursors() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("cursor") == "next":
            return httpx.Response(200, json={"items": [job_json(status="queued")], "next_cursor": None})
        return httpx.Response(200, json={"items": [job_json()], "next_cursor": "next"})

    with client(handler) as c:
        assert [j.status for j in c.iter_jobs(kind="ingest")] == ["running", "queued"]


def test_wait_for_asset_polls_until_the_asset_is_ready() -> None:
    states = iter(["processing", "processing", "ready"])
    sleeps: list[float] = []
    seen: list[str] = []

    with client(lambda _: httpx.Response(200, json=asset_json(status=next(states))), sleep=sleeps.append) as c:
        asset = c.wait_for_asset("a_1", poll_interval=0.25, on_update=lambda a: seen.append(a.status))

    assert asset.status == "ready"
    assert seen == ["processing", "processing", "ready"]
    assert sleeps == [0.25, 0.25]


def test_wait_for_asset_returns_a_failed_asset_with_its_error() -> None:
    failed = asset_json(status="failed", error={"code": "media_unreadable", "message": "not a video"})
    with client(lambda _: httpx.Response(200, json=failed)) as c:
        asset = c.wait_for_asset("a_1")

    assert asset.status == "failed"
    assert asset.error is not None
    assert asset.error.code == "media_unreadable"


def test_wait_for_asset_gives_up_at_its_timeout() -> None:
    processing = asset_json(status="processing")
    transport = httpx.MockTransport(lambda _: httpx.Response(200, json=processing))
    with Client(API, TOKEN, transport=transport) as c, pytest.raises(ReelforgeError) as caught:
        c.wait_for_asset("a_1", timeout=0.05, poll_interval=0.01)

    assert caught.value.code == "timeout"
    assert "still processing" in caught.value.detail


def test_delete_and_download_url() -> None:
    seen: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path))
        if request.method == "DELETE":
            return httpx.Response(204)
        return httpx.Response(200, json={"url": "https://s3.test/a_1?sig", "expires_at": "2025-01-01T01:00:00Z"})

    with client(handler) as c:
        c.delete_asset("a_1")
        assert c.download_url("a_1").url == "https://s3.test/a_1?sig"

    assert seen == [("DELETE", "/v1/assets/a_1"), ("GET", "/v1/assets/a_1/download")]


# Server-Sent Events


def decode(text: str) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events = [decoder.feed(line) for line in text.split("\n")]
    return [e for e in events if e is not None]


def test_sse_joins_multi_line_data_and_skips_comments() -> None:
    events = decode(': keep-alive\n\nevent: job\nid: 7\ndata: {"a":\ndata:  1}\n\ndata: plain\n\n')

    assert events == [
        ServerSentEvent(event="job", data='{"a":\n 1}', id="7"),
        ServerSentEvent(event="message", data="plain", id="7"),
    ]


def test_sse_ignores_events_without_data_and_unknown_fields() -> None:
    assert decode("event: job\n\nfoo: bar\nretry: x\n\n:only a comment\n\n") == []


def test_sse_handles_carriage_returns_and_a_field_without_a_value() -> None:
    assert decode("event: job\r\ndata\r\n\r\n") == [ServerSentEvent(event="job", data="")]


class Chunks(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body delivered in the given pieces, split anywhere."""

    def __init__(self, *pieces: str) -> None:
        self.pieces = [p.encode() for p in pieces]

    def __iter__(self) -> Iterator[bytes]:
        yield from self.pieces

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            yield piece


def sse(*jobs: dict[str, Any]) -> str:
    text = ": connected\n\n"
    for job in jobs:
        body = json.dumps(job, indent=1)
        text += "event: job\n" + "".join(f"data: {line}\n" for line in body.splitlines()) + "\n: ping\n\n"
    return text


def stream_response(*pieces: str) -> httpx.Response:
    return httpx.Response(200, headers={"Content-Type": "text/event-stream"}, stream=Chunks(*pieces))


def test_watch_job_yields_each_state_and_stops_at_the_terminal_one() -> None:
    body = sse(
        job_json(status="queued", progress=0.0),
        job_json(progress=0.4),
        job_json(status="succeeded", progress=1.0, stage="done"),
        job_json(status="running", progress=0.9),
    )
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return stream_response(body[:37], body[37:101], body[101:])

    with client(handler) as c:
        states = [(j.status, j.progress) for j in c.watch_job("j_1")]

    assert states == [("queued", 0.0), ("running", 0.4), ("succeeded", 1.0)]
    assert requests[0].url.path == "/v1/jobs/j_1/events"
    assert requests[0].headers["accept"] == "text/event-stream"
    assert requests[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_watch_job_delivers_the_outputs_of_the_succeeded_state() -> None:
    output = {"url": "https://s3.test/a.wav?sig", "expires_at": "2025-01-01T01:00:00Z"}
    body = sse(job_json(progress=0.5), job_json(status="succeeded", progress=1.0, outputs={"audio": output}))

    with client(lambda _: stream_response(body)) as c:
        jobs = list(c.watch_job("j_1"))

    assert [list(j.outputs) for j in jobs] == [[], ["audio"]]
    assert jobs[-1].outputs["audio"].url == "https://s3.test/a.wav?sig"


def test_watch_job_reconnects_when_the_stream_ends_early_without_repeating_a_state() -> None:
    bodies = iter(
        [
            sse(job_json(progress=0.2)),
            sse(job_json(progress=0.2), job_json(status="failed", progress=0.3, error={"code": "x", "message": "y"})),
        ]
    )
    sleeps: list[float] = []

    with client(lambda _: stream_response(next(bodies)), sleep=sleeps.append) as c:
        jobs = list(c.watch_job("j_1"))

    assert [j.status for j in jobs] == ["running", "failed"]
    assert jobs[-1].error is not None
    assert jobs[-1].error.code == "x"
    assert sleeps == [0.5]


def test_watch_job_raises_the_problem_when_the_stream_is_refused() -> None:
    with client(lambda _: problem(404, "not_found", "no job j_9")) as c, pytest.raises(ReelforgeError) as caught:
        list(c.watch_job("j_9"))

    assert caught.value.code == "not_found"


def test_watch_events_follows_the_tenant_stream() -> None:
    body = sse(job_json(progress=0.1), job_json(status="succeeded", progress=1.0), {**job_json(), "id": "j_2"})
    with client(lambda _: stream_response(body)) as c:
        events = c.watch_events()
        first = [next(events) for _ in range(3)]
        events.close()  # type: ignore[attr-defined]

    assert [(j.id, j.status) for j in first] == [("j_1", "running"), ("j_1", "succeeded"), ("j_2", "running")]


# The async client shares all of it


def async_client(handler: Handler, sleeps: list[float] | None = None) -> AsyncClient:
    async def sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)

    return AsyncClient(API, TOKEN, transport=httpx.MockTransport(handler), retry=FAST, sleep=sleep)


async def test_the_async_client_raises_problems_and_retries_429() -> None:
    answers = iter([problem(429, "rate_limited", **{"Retry-After": "1"}), problem(403, "forbidden", "needs admin")])
    sleeps: list[float] = []
    async with async_client(lambda _: next(answers), sleeps) as c:
        with pytest.raises(ReelforgeError) as caught:
            await c.list_api_keys()

    assert (caught.value.status, caught.value.code, caught.value.detail) == (403, "forbidden", "needs admin")
    assert sleeps == [1.0]


async def test_the_async_client_iterates_pages_and_waits_for_assets() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/assets":
            if request.url.params.get("cursor"):
                return httpx.Response(200, json={"items": [asset_json("a_2")], "next_cursor": None})
            return httpx.Response(200, json={"items": [asset_json("a_1")], "next_cursor": "c"})
        return httpx.Response(200, json=asset_json(status="ready"))

    async with async_client(handler) as c:
        ids = [a.id async for a in c.iter_assets()]
        ready = await c.wait_for_asset("a_1")

    assert ids == ["a_1", "a_2"]
    assert ready.status == "ready"


async def test_the_async_client_watches_a_job_to_its_end() -> None:
    body = sse(job_json(progress=0.5), job_json(status="succeeded", progress=1.0))
    async with async_client(lambda _: stream_response(body[:50], body[50:])) as c:
        jobs: list[Job] = [job async for job in c.watch_job("j_1")]

    assert [j.status for j in jobs] == ["running", "succeeded"]


async def test_the_async_client_reads_and_patches_quotas() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=quota_report_json())

    async with async_client(handler) as c:
        mine = await c.get_quotas()
        theirs = await c.tenant_quotas("t_1", "op-token")
        patched = await c.set_tenant_quotas("t_1", "op-token", max_upload_bytes=1000, rate_limit_per_s=None)

    assert mine == theirs == patched
    assert [(r.method, r.url.path) for r in seen] == [
        ("GET", "/v1/quotas"),
        ("GET", "/v1/admin/tenants/t_1/quotas"),
        ("PATCH", "/v1/admin/tenants/t_1/quotas"),
    ]
    assert json.loads(seen[2].content) == {"max_upload_bytes": 1000, "rate_limit_per_s": None}
    assert [r.headers["authorization"] for r in seen] == [f"Bearer {TOKEN}", "Bearer op-token", "Bearer op-token"]


# Transcriptions

JFK_LINE = "And so, my fellow Americans, ask not what your country can do for you."


def transcript_json() -> dict[str, Any]:
    words = [
        {"text": " And", "start": 0.3, "end": 0.5, "probability": 0.91},
        {"text": " so,", "start": 0.5, "end": 0.8, "probability": 0.88},
    ]
    segment = {"start": 0.3, "end": 7.6, "text": f" {JFK_LINE}", "words": words, "avg_logprob": -0.21}
    return {
        "language": "en",
        "language_probability": 0.98,
        "duration_s": 11.0,
        "segments": [{**segment, "no_speech_prob": 0.01}, {**segment, "text": " ", "words": []}],
        "no_audio": False,
        "model": "tiny.en",
    }


def transcription_job(status: str = "queued", progress: float = 0.0, **extra: Any) -> dict[str, Any]:
    return job_json(status=status, progress=progress, stage="transcribing", kind="transcription", **extra)


def test_create_transcription_sends_its_options_and_an_idempotency_key() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202, json=transcription_job())

    with client(handler) as c:
        job = c.create_transcription("a/1")
        c.create_transcription(
            "a_1", language="en", model="tiny.en", word_timestamps=False, prompt="Kennedy", idempotency_key="mine-1"
        )

    assert (job.kind, job.status, job.resource_id) == ("transcription", "queued", "a_1")
    assert [(r.method, r.url.path) for r in seen] == [("POST", "/v1/transcriptions")] * 2
    assert json.loads(seen[0].content) == {"asset_id": "a/1", "word_timestamps": True}
    assert json.loads(seen[1].content) == {
        "asset_id": "a_1",
        "language": "en",
        "model": "tiny.en",
        "word_timestamps": False,
        "prompt": "Kennedy",
    }
    assert uuid.UUID(seen[0].headers["idempotency-key"]).version == 4
    assert seen[1].headers["idempotency-key"] == "mine-1"


@pytest.mark.parametrize(
    ("format", "media_type", "body"),
    [
        ("json", "application/json", json.dumps(transcript_json(), indent=2)),
        ("srt", "application/x-subrip", "1\n00:00:00,300 --> 00:00:07,600\nÀ bientôt, fellow Americans\n\n"),
        ("vtt", "text/vtt", "WEBVTT\n\n00:00.300 --> 00:07.600\nask not\n\n"),
        ("txt", "text/plain", f"{JFK_LINE}\n"),
    ],
)
def test_get_transcript_asks_for_its_format_and_returns_the_body_as_sent(
    format: str, media_type: str, body: str
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=body.encode(), headers={"Content-Type": f"{media_type}; charset=utf-8"})

    with client(handler) as c:
        text = c.get_transcript("a_1", format)

    assert text == body
    [request] = seen
    assert (request.method, request.url.path, dict(request.url.params)) == (
        "GET",
        "/v1/transcripts/a_1",
        {"format": format},
    )
    assert request.headers["accept"] == media_type
    assert "idempotency-key" not in request.headers


def test_get_transcript_json_parses_segments_and_words() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=transcript_json())

    with client(handler) as c:
        transcript = c.get_transcript_json("a_1")

    assert dict(seen[0].url.params) == {"format": "json"}
    assert (transcript.language, transcript.duration_s, transcript.no_audio, transcript.model) == (
        "en",
        11.0,
        False,
        "tiny.en",
    )
    first = transcript.segments[0]
    assert (first.start, first.end, first.avg_logprob, first.no_speech_prob) == (0.3, 7.6, -0.21, 0.01)
    assert transcript.segments[1].no_speech_prob is None
    assert [(w.text, w.start, w.end, w.probability) for w in first.words] == [
        (" And", 0.3, 0.5, 0.91),
        (" so,", 0.5, 0.8, 0.88),
    ]
    assert transcript.text == JFK_LINE
    assert transcript.raw == transcript_json()
    assert first.words[0].raw == transcript_json()["segments"][0]["words"][0]


def test_a_transcript_not_ready_yet_is_its_problem() -> None:
    with (
        client(lambda _: problem(409, "transcript_not_ready", "the transcription of a_1 is running")) as c,
        pytest.raises(ReelforgeError) as caught,
    ):
        c.get_transcript("a_1", "srt")

    assert (caught.value.status, caught.value.code) == (409, "transcript_not_ready")


def transcribing_server(*job_states: dict[str, Any], seen: list[httpx.Request]) -> Handler:
    """Uploads become asset a_1 (processing, then ready); transcriptions go through ``job_states``."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        path = request.url.path
        if path == "/v1/assets":
            return httpx.Response(201, json=asset_json(status="processing"))
        if path == "/v1/assets/a_1":
            return httpx.Response(200, json=asset_json(status="ready"))
        if path == "/v1/transcriptions":
            return httpx.Response(202, json=transcription_job())
        if path == "/v1/jobs/j_1/events":
            return stream_response(sse(*job_states))
        return httpx.Response(200, text=f"{JFK_LINE}\n", headers={"Content-Type": "text/plain; charset=utf-8"})

    return handler


def test_transcribe_uploads_a_file_waits_for_it_follows_the_job_and_returns_the_transcript(tmp_path: Path) -> None:
    media = tmp_path / "jfk.wav"
    media.write_bytes(b"RIFF" + b"\0" * 100)
    seen: list[httpx.Request] = []
    server = transcribing_server(transcription_job("running", 0.5), transcription_job("succeeded", 1.0), seen=seen)
    progress: list[tuple[int, int]] = []
    states: list[str] = []

    with client(server) as c:
        text = c.transcribe(
            str(media),
            format="txt",
            language="en",
            on_upload_progress=lambda sent, total: progress.append((sent, total)),
            on_job=lambda job: states.append(job.status),
        )

    assert text == f"{JFK_LINE}\n"
    assert [(r.method, r.url.path) for r in seen] == [
        ("POST", "/v1/assets"),
        ("GET", "/v1/assets/a_1"),
        ("POST", "/v1/transcriptions"),
        ("GET", "/v1/jobs/j_1/events"),
        ("GET", "/v1/transcripts/a_1"),
    ]
    assert json.loads(seen[2].content) == {"asset_id": "a_1", "language": "en", "word_timestamps": True}
    assert dict(seen[4].url.params) == {"format": "txt"}
    assert progress[-1][0] == progress[-1][1] > 0
    assert states == ["running", "succeeded"]


def test_transcribe_an_asset_id_raises_the_failed_jobs_error() -> None:
    seen: list[httpx.Request] = []
    failed = transcription_job(
        "failed", 0.3, error={"code": "media_unreadable", "message": "the audio does not decode"}
    )
    server = transcribing_server(transcription_job("running", 0.2), failed, seen=seen)

    with client(server) as c, pytest.raises(ReelforgeError) as caught:
        c.transcribe("a_1")

    assert caught.value.code == "media_unreadable"
    assert caught.value.detail == "the audio does not decode (job j_1 failed)"
    assert [r.url.path for r in seen] == ["/v1/transcriptions", "/v1/jobs/j_1/events"]


async def test_the_async_client_creates_and_reads_transcripts() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "POST":
            return httpx.Response(202, json=transcription_job())
        if request.url.params["format"] == "json":
            return httpx.Response(200, json=transcript_json())
        return httpx.Response(200, text="WEBVTT\n", headers={"Content-Type": "text/vtt; charset=utf-8"})

    async with async_client(handler) as c:
        job = await c.create_transcription("a_1", prompt="Kennedy", idempotency_key="k-1")
        vtt = await c.get_transcript("a_1", "vtt")
        transcript = await c.get_transcript_json("a_1")

    assert job.kind == "transcription"
    assert vtt == "WEBVTT\n"
    assert transcript.language == "en"
    assert json.loads(seen[0].content) == {"asset_id": "a_1", "word_timestamps": True, "prompt": "Kennedy"}
    assert seen[0].headers["idempotency-key"] == "k-1"
    assert [dict(r.url.params) for r in seen[1:]] == [{"format": "vtt"}, {"format": "json"}]


# Clip jobs and presigned downloads


def clip_job_json() -> dict[str, Any]:
    link = {"url": "http://s3.test/render/t/cj_1/0.mp4?sig=1", "expires_at": "2025-01-01T01:00:00Z"}
    clip = {
        "index": 0, "start_s": 1.5, "end_s": 12.0, "duration_s": 10.5, "score": 0.7, "reasons": [],
        "title": "Ask not", "excerpt": "ask not what your country can do for you", "width": 1080, "height": 1920,
        "framing": "subject", "video": link, "thumbnail": None, "subtitles": None,
    }  # fmt: skip
    return {
        "id": "cj_1", "job_id": "j_1", "asset_id": "a_1", "status": "completed", "count": 1, "aspect": "9:16",
        "captions": None, "prompt": "duty", "clips": [clip], "error": None,
        "created_at": "2025-01-01T00:00:00Z", "completed_at": "2025-01-01T00:00:09Z",
    }  # fmt: skip


async def test_the_async_client_creates_and_reads_clip_jobs() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "POST":
            return httpx.Response(202, json=job_json("queued", 0.0, kind="clipjob", resource_id="cj_1"))
        return httpx.Response(200, json=clip_job_json())

    async with async_client(handler) as c:
        job = await c.create_clip_job("a_1", count=1, no_captions=True, prompt="duty", idempotency_key="k-2")
        clip_job = await c.get_clip_job(job.resource_id)

    assert json.loads(seen[0].content) == {
        "asset_id": "a_1", "count": 1, "min_duration": 10, "max_duration": 60, "aspect": "9:16",
        "captions": None, "prompt": "duty",
    }  # fmt: skip
    assert seen[0].headers["idempotency-key"] == "k-2"
    assert seen[1].url.path == "/v1/clip-jobs/cj_1"
    assert (clip_job.status, clip_job.clips[0].title) == ("completed", "Ask not")
    assert clip_job.clips[0].video_url == "http://s3.test/render/t/cj_1/0.mp4?sig=1"
    assert clip_job.clips[0].thumbnail_url is None


def presigned_server(seen: list[httpx.Request]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("expired.mp4"):
            return httpx.Response(403, text="<Error><Code>AccessDenied</Code></Error>")
        return httpx.Response(200, content=b"\x00\x00\x00\x18ftypmp42" * 1000)

    return handler


def test_download_saves_a_presigned_url_without_sending_the_api_key(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []
    with client(presigned_server(seen)) as c:
        saved = c.download("http://s3.test/clip.mp4?sig=1", tmp_path / "clip.mp4")
        with pytest.raises(ReelforgeError) as caught:
            c.download("http://s3.test/expired.mp4?sig=1", tmp_path / "expired.mp4")

    assert saved.read_bytes() == b"\x00\x00\x00\x18ftypmp42" * 1000
    assert (caught.value.status, caught.value.code) == (403, "download_failed")
    assert not (tmp_path / "expired.mp4").exists()
    assert all("authorization" not in request.headers for request in seen)


async def test_the_async_client_downloads_a_presigned_url(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []
    async with async_client(presigned_server(seen)) as c:
        saved = await c.download("http://s3.test/clip.mp4?sig=1", tmp_path / "clip.mp4")
        with pytest.raises(ReelforgeError) as caught:
            await c.download("http://s3.test/expired.mp4?sig=1", tmp_path / "expired.mp4")

    assert saved.read_bytes() == b"\x00\x00\x00\x18ftypmp42" * 1000
    assert caught.value.code == "download_failed"
    assert all("authorization" not in request.headers for request in seen)
