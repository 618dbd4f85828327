"""URL import: fetched as the asset's job, never towards forbidden addresses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from conftest import Platform
from media_corpus import LECTURE, canary
from test_assets import wait_until_done

# The platform fixture allowlists 127.0.0.2 (a test media server); every
# other loopback address stays forbidden.
MEDIA_HOST = "127.0.0.2"


@asynccontextmanager
async def media_server(redirect_to: str = "", body: bytes | None = None) -> AsyncIterator[int]:
    """Serves ``body`` (the lecture by default) at any path, as /lecture.mp4 (or redirects every request)."""
    body = LECTURE.read_bytes() if body is None else body

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        if redirect_to:
            head = f"HTTP/1.1 302 Found\r\nLocation: {redirect_to}\r\nContent-Length: 0\r\n\r\n".encode()
            writer.write(head)
        else:
            head = f"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            writer.write(head + body)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, MEDIA_HOST, 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


async def test_an_imported_url_becomes_a_ready_asset(platform: Platform) -> None:
    _, auth = await platform.tenant("acme")
    async with media_server() as port:
        response = await platform.api.post(
            "/v1/imports", json={"url": f"http://{MEDIA_HOST}:{port}/lecture.mp4"}, headers=auth
        )
        assert response.status_code == 202, response.text
        assert (response.json()["status"], response.json()["filename"]) == ("importing", "lecture.mp4")
        asset = await wait_until_done(platform, auth, response.json()["id"])
    assert asset["status"] == "ready", asset
    assert asset["size_bytes"] == LECTURE.stat().st_size
    assert set(asset["derivatives"]) == {"thumbnail", "filmstrip", "audio", "proxy"}


async def test_imports_towards_forbidden_addresses_are_refused_and_never_connect(platform: Platform) -> None:
    _, auth = await platform.tenant("acme")
    async with canary() as bird:
        for url in [
            f"http://127.0.0.1:{bird.port}/x.mp4",
            f"http://localhost:{bird.port}/x.mp4",
            f"http://2130706433:{bird.port}/x.mp4",  # 127.0.0.1 as an integer
            f"http://[::ffff:127.0.0.1]:{bird.port}/x.mp4",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.1/x.mp4",
        ]:
            response = await platform.api.post("/v1/imports", json={"url": url}, headers=auth)
            assert (response.status_code, response.json()["code"]) == (422, "url_forbidden"), (url, response.text)
        for url in ["file:///etc/passwd", "ftp://example.com/x.mp4", "gopher://127.0.0.1/"]:
            response = await platform.api.post("/v1/imports", json={"url": url}, headers=auth)
            assert response.status_code == 422, (url, response.text)

        # An allowed server redirecting to a forbidden one: the redirect is re-checked.
        async with media_server(redirect_to=f"http://127.0.0.1:{bird.port}/x.mp4") as port:
            response = await platform.api.post(
                "/v1/imports", json={"url": f"http://{MEDIA_HOST}:{port}/start.mp4"}, headers=auth
            )
            assert response.status_code == 202, response.text
            asset = await wait_until_done(platform, auth, response.json()["id"])
        assert (asset["status"], asset["error"]["code"]) == ("failed", "url_forbidden")
        assert bird.connections == 0
