"""Live job progress over SSE and WebSocket, fed from NATS, per job and per tenant."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from conftest import Platform
from media_corpus import LECTURE
from test_assets import upload
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

# Keep-alives every half second: a quiet stream shows it is quiet quickly.
QUICK_KEEP_ALIVE = pytest.mark.parametrize("platform", [{"gateway": {"live_idle_s": 0.5}}], indirect=True)
_LIFECYCLE = ["queued", "running", "succeeded"]


@dataclass(frozen=True)
class Event:
    """One SSE event; ``job`` is None for a keep-alive comment."""

    id: int | None
    job: dict[str, Any] | None


async def sse(lines: AsyncIterator[str]) -> AsyncIterator[Event]:
    fields: dict[str, str] = {}
    async for line in lines:
        if line.startswith(":"):
            yield Event(None, None)
        elif line:
            name, _, value = line.partition(": ")
            fields[name] = value
        elif fields.get("event") == "job":
            yield Event(int(fields["id"]), json.loads(fields["data"]))
            fields = {}
        else:
            fields = {}


async def read_stream(
    platform: Platform, path: str, auth: dict[str, str], *, until: int | None = None, resume: int | None = None
) -> list[Event]:
    """Events of an SSE stream (resumed after event id ``resume``) until the
    server ends it or, with ``until``, until that many keep-alives have arrived."""
    events: list[Event] = []
    headers = auth if resume is None else {**auth, "Last-Event-ID": str(resume)}
    async with platform.api.stream("GET", path, headers=headers) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        async for event in sse(response.aiter_lines()):
            events.append(event)
            if until is not None and sum(e.job is None for e in events) >= until:
                break
    return events


def jobs_of(events: list[Event]) -> list[dict[str, Any]]:
    return [event.job for event in events if event.job is not None]


def state(job: dict[str, Any]) -> dict[str, Any]:
    """A job without its outputs, whose URLs are presigned afresh on each read."""
    return {name: value for name, value in job.items() if name != "outputs"}


def assert_in_order(events: list[Event]) -> None:
    """Ids rise; each job moves forward through its lifecycle and its progress never falls."""
    ids = [event.id for event in events if event.id is not None]
    assert ids == sorted(set(ids)), ids
    by_job: dict[str, list[dict[str, Any]]] = {}
    for job in jobs_of(events):
        by_job.setdefault(job["id"], []).append(job)
    for states in by_job.values():
        steps = [_LIFECYCLE.index(state["status"]) for state in states]
        assert steps == sorted(steps), states
        progress = [state["progress"] for state in states]
        assert progress == sorted(progress), states


async def test_a_job_stream_sends_the_current_state_then_ends_with_the_job(platform: Platform) -> None:
    _tenant, auth = await platform.tenant("acme")
    accepted = (await upload(platform, auth, LECTURE)).json()
    path = f"/v1/jobs/{accepted['job_id']}/events"

    events = await read_stream(platform, path, auth)

    assert_in_order(events)
    final = jobs_of(events)[-1]
    assert (final["status"], final["progress"], final["resource_id"]) == ("succeeded", 1.0, accepted["id"])
    read = (await platform.api.get(f"/v1/jobs/{accepted['job_id']}", headers=auth)).json()
    assert set(final["outputs"]) == {"original", "thumbnail", "filmstrip", "audio", "proxy"}
    assert state(final) == state(read)
    # Resuming after the final event: 204 tells an EventSource not to reconnect.
    last = events[-1].id
    assert last is not None
    resumed = await platform.api.get(path, headers={**auth, "Last-Event-ID": str(last)})
    assert resumed.status_code == 204
    # Resuming before it: the job's current state, then the end.
    again = await read_stream(platform, path, auth, resume=last - 1)
    assert [state(job) for job in jobs_of(again)] == [state(final)]


@QUICK_KEEP_ALIVE
async def test_the_tenant_stream_follows_every_change_and_resumes_from_an_event_id(platform: Platform) -> None:
    _tenant, auth = await platform.tenant("acme")
    # The stream's response starts once its resume point is fixed: all that follows is seen.
    async with platform.api.stream("GET", "/v1/events", headers=auth) as response:
        assert response.status_code == 200
        accepted = (await upload(platform, auth, LECTURE)).json()
        events: list[Event] = []
        async for event in sse(response.aiter_lines()):
            events.append(event)
            if event.job is not None and event.job["status"] == "succeeded":
                break

    assert_in_order(events)
    states = jobs_of(events)
    assert {job["id"] for job in states} == {accepted["job_id"]}
    assert states[0]["status"] == "queued"
    assert "running" in [job["status"] for job in states]

    first = next(event.id for event in events if event.id is not None)
    resumed = await read_stream(platform, "/v1/events", auth, until=1, resume=first)
    assert [state(job) for job in jobs_of(resumed)] == [state(states[-1])]  # the job's latest state, once
    by_query = await read_stream(platform, f"/v1/events?last_event_id={first}", auth, until=1)
    assert [state(job) for job in jobs_of(by_query)] == [state(states[-1])]
    other_kind = await read_stream(platform, "/v1/events?kind=render&last_event_id=0", auth, until=1)
    assert jobs_of(other_kind) == []


@QUICK_KEEP_ALIVE
async def test_a_tenant_never_sees_another_tenants_jobs(platform: Platform) -> None:
    _acme, acme = await platform.tenant("acme")
    _globex, globex = await platform.tenant("globex")
    heard: list[Event] = []

    async def listen() -> None:
        async with platform.api.stream("GET", "/v1/events", headers=globex) as response:
            async for event in sse(response.aiter_lines()):
                heard.append(event)

    listener = asyncio.create_task(listen())
    try:
        accepted = (await upload(platform, acme, LECTURE)).json()
        job_path = f"/v1/jobs/{accepted['job_id']}/events"
        refused = await platform.api.get(job_path, headers=globex)
        assert (refused.status_code, refused.json()["code"]) == (404, "not_found")
        await read_stream(platform, job_path, acme)  # until acme's job has ended
        await asyncio.sleep(1.0)  # two keep-alives' time for anything late
    finally:
        listener.cancel()
    assert heard, "no keep-alives: the stream was not open"
    assert jobs_of(heard) == []
    from_the_start = await read_stream(platform, "/v1/events?last_event_id=0", globex, until=1)
    assert jobs_of(from_the_start) == []
    acme_from_the_start = await read_stream(platform, "/v1/events?last_event_id=0", acme, until=1)
    assert [job["id"] for job in jobs_of(acme_from_the_start)] == [accepted["job_id"]]


async def test_malformed_resume_points_are_refused(platform: Platform) -> None:
    _tenant, auth = await platform.tenant("acme")
    for path, headers in [
        ("/v1/events", {"Last-Event-ID": "yesterday"}),
        ("/v1/events?last_event_id=-1", {}),
        ("/v1/jobs/j_x/events?last_event_id=1e9", {}),
    ]:
        response = await platform.api.get(path, headers={**auth, **headers})
        assert (response.status_code, response.json()["code"]) == (422, "validation_failed"), path
    unknown = await platform.api.get("/v1/jobs/j_nope/events", headers=auth)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")
    anonymous = await platform.api.get("/v1/events")
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "unauthenticated")


def ws_url(platform: Platform, path: str) -> str:
    return str(platform.api.base_url).replace("http://", "ws://").rstrip("/") + path


async def test_a_job_is_watched_over_a_websocket_until_it_ends(platform: Platform) -> None:
    _tenant, auth = await platform.tenant("acme")
    accepted = (await upload(platform, auth, LECTURE)).json()
    frames: list[dict[str, Any]] = []
    async with connect(ws_url(platform, f"/v1/jobs/{accepted['job_id']}/events"), additional_headers=auth) as ws:
        frames.extend([json.loads(message) async for message in ws])  # until a normal close
    assert ws.close_code == 1000
    jobs = [frame["data"] for frame in frames if frame["event"] == "job"]
    assert jobs[-1]["status"] == "succeeded"
    assert [int(frame["id"]) for frame in frames] == sorted(int(frame["id"]) for frame in frames)


@pytest.mark.parametrize(
    ("path", "authorized", "code", "reason"),
    [
        ("/v1/events", False, 4401, "unauthenticated"),
        ("/v1/jobs/j_nope/events", True, 4404, "not_found"),
    ],
)
async def test_a_refused_websocket_is_closed_with_the_reason(
    platform: Platform, path: str, authorized: bool, code: int, reason: str
) -> None:
    _tenant, auth = await platform.tenant("acme")
    async with connect(ws_url(platform, path), additional_headers=auth if authorized else {}) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (code, reason)
