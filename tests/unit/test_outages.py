"""Which failures count as a dependency outage, how S3 requests are retried,
and the gateway's 503 for an outage (the chaos suite checks the same against
real Postgres and S3)."""

from __future__ import annotations

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reelforge_common.outages import unavailable_dependency
from reelforge_common.storage import StorageUnavailableError, retry_policy
from reelforge_gateway.api.outages import Outages


@pytest.mark.parametrize(
    ("exc", "dependency"),
    [
        (asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"), "database"),
        (asyncpg.CannotConnectNowError("the database system is starting up"), "database"),
        (asyncpg.AdminShutdownError("terminating connection due to administrator command"), "database"),
        (asyncpg.InterfaceError("cannot perform operation: connection is closed"), "database"),
        (asyncpg.InternalClientError("cannot switch to state 12; another operation (2) is in progress"), "database"),
        (ConnectionRefusedError(111, "Connect call failed"), "a dependency"),
        (OSError("Multiple exceptions: [Errno 111] Connect call failed ('127.0.0.1', 5432)"), "a dependency"),
        (StorageUnavailableError("object storage unavailable"), "object storage"),
        (ExceptionGroup("both", [ConnectionResetError(), asyncpg.CannotConnectNowError("x")]), "a dependency"),
    ],
)
def test_outages_are_named_by_the_dependency_that_is_down(exc: BaseException, dependency: str) -> None:
    assert unavailable_dependency(exc) == dependency


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("a bug"),
        FileNotFoundError(2, "No such file"),
        asyncpg.UniqueViolationError("duplicate key"),
        asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
        ExceptionGroup("mixed", [ConnectionResetError(), KeyError("x")]),
    ],
)
def test_other_failures_are_not_outages(exc: BaseException) -> None:
    assert unavailable_dependency(exc) is None


@pytest.mark.parametrize("limit_s", [0.0, 1.0, 2.0, 30.0, 120.0])
def test_s3_requests_are_retried_with_backoff_for_about_the_limit(limit_s: float) -> None:
    policy = retry_policy(limit_s)
    assert isinstance(policy.total, int)
    waits = [0.0] + [min(2.0, 0.25 * 2**n) for n in range(1, policy.total)]
    assert sum(waits[: policy.total]) >= limit_s
    assert sum(waits[: policy.total - 1]) < limit_s or policy.total == 0
    assert policy.allowed_methods is None  # PUT parts and POST completions too
    assert set(policy.status_forcelist or ()) == {500, 502, 503, 504}


async def _failing(request: Request) -> Response:
    raise {"/down": ConnectionRefusedError(111, "Connect call failed"), "/bug": ValueError("a bug")}[request.url.path]


async def test_the_gateway_answers_an_outage_503_with_retry_after_and_a_bug_500() -> None:
    app = Starlette(routes=[Route("/down", _failing), Route("/bug", _failing)], middleware=[Middleware(Outages)])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        down = await client.get("/down")
        assert down.status_code == 503
        assert down.headers["content-type"] == "application/problem+json"
        assert down.json()["code"] == "unavailable"
        assert int(down.headers["retry-after"]) > 0
        assert (await client.get("/bug")).status_code == 500
