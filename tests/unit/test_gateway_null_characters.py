"""The gateway's edge: U+0000 refused before any route (Postgres text cannot
hold it), and a 405 that names every method of its path."""

from __future__ import annotations

import json

import httpx
from fastapi import FastAPI, Request

from reelforge_gateway.api.null_characters import RefuseNullCharacters
from reelforge_gateway.problems import install_problem_handlers


def app() -> FastAPI:
    """Two routes on one path, behind the NUL guard; POST echoes the body it received."""
    api = FastAPI()
    install_problem_handlers(api)
    api.add_middleware(RefuseNullCharacters)

    @api.get("/v1/things/{thing_id}")
    async def get_thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    @api.post("/v1/things/{thing_id}")
    async def post_thing(thing_id: str, request: Request) -> dict[str, str]:
        return {"body": (await request.body()).decode()}

    return api


def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app()), base_url="http://gateway")


async def test_a_nul_in_the_path_or_query_is_validation_failed() -> None:
    async with client() as api:
        for url in ("/v1/things/a%00b", "/v1/things/a?filter=%00"):
            response = await api.get(url)
            assert response.status_code == 422, url
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["code"] == "validation_failed"


async def test_a_nul_in_any_json_string_or_key_is_validation_failed() -> None:
    async with client() as api:
        for document in ({"name": "a\x00"}, {"tags": [{"k": ["\x00"]}]}, {"\x00": 1}):
            response = await api.post("/v1/things/a", json=document)
            assert response.status_code == 422, document
            assert response.json()["code"] == "validation_failed"


async def test_json_without_a_nul_reaches_the_route_unchanged() -> None:
    # An escaped backslash before "u0000" is six plain characters, not a NUL.
    body = json.dumps({"name": "a\\u0000", "n": [1, 2]}).encode()
    async with client() as api:
        response = await api.post("/v1/things/a", content=body, headers={"content-type": "application/json"})
        assert response.status_code == 200
        assert response.json() == {"body": body.decode()}
        other = await api.post("/v1/things/a", content=b"\x00raw", headers={"content-type": "application/octet-stream"})
        assert other.json() == {"body": "\x00raw"}


async def test_a_method_the_path_lacks_is_405_naming_every_method_it_has() -> None:
    async with client() as api:
        response = await api.request("TRACE", "/v1/things/a")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert response.json()["code"] == "method_not_allowed"
