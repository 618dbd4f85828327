"""Presigned multipart uploads: large files straight to S3, resumable."""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from conftest import Platform
from media_corpus import LECTURE
from test_assets import wait_until_done

_MIB = 1024 * 1024


def padded_mp4(path: Path, extra_bytes: int) -> Path:
    """A valid MP4 (the lecture) followed by a top-level `free` box of random
    bytes: a large file that is still media, and quick to process."""
    with path.open("wb") as out:
        out.write(LECTURE.read_bytes())
        out.write((extra_bytes + 8).to_bytes(4, "big") + b"free")
        for _ in range(extra_bytes // _MIB):
            out.write(os.urandom(_MIB))
    return path


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


@contextmanager
def peak_rss() -> Iterator[list[int]]:
    """Samples this process's resident memory (gateway and ingest run in it)."""
    peak = [rss_bytes()]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.02):
            peak[0] = max(peak[0], rss_bytes())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield peak
    finally:
        stop.set()
        sampler.join()


async def part_bytes(path: Path, offset: int, size: int) -> AsyncIterator[bytes]:
    with path.open("rb") as file:
        file.seek(offset)
        remaining = size
        while remaining:
            chunk = file.read(min(_MIB, remaining))
            remaining -= len(chunk)
            yield chunk


async def test_a_300_mb_upload_resumes_after_an_interruption_with_bounded_memory(
    platform: Platform, tmp_path: Path
) -> None:
    _, auth = await platform.tenant("acme")
    big = padded_mp4(tmp_path / "big.mp4", 300 * _MIB)
    size = big.stat().st_size
    baseline = rss_bytes()
    with peak_rss() as peak:
        created = await platform.api.post(
            "/v1/uploads", json={"filename": "big.mp4", "size_bytes": size, "content_type": "video/mp4"}, headers=auth
        )
        assert created.status_code == 201, created.text
        upload = created.json()
        part_size, asset_id = upload["part_size"], upload["asset_id"]
        assert upload["part_count"] == -(-size // part_size) >= 2
        async with httpx.AsyncClient(timeout=120) as s3:
            # The client dies after sending every part but the second.
            for part in upload["parts"]:
                if part["number"] == 2:
                    continue
                offset = (part["number"] - 1) * part_size
                put = await s3.put(part["url"], content=part_bytes(big, offset, min(part_size, size - offset)))
                assert put.status_code == 200, put.text

            incomplete = await platform.api.post(f"/v1/uploads/{asset_id}/complete", headers=auth)
            assert (incomplete.status_code, incomplete.json()["code"]) == (409, "upload_incomplete")

            # It comes back, asks what is missing, and sends only that.
            resumed = (await platform.api.get(f"/v1/uploads/{asset_id}", headers=auth)).json()
            assert [p["number"] for p in resumed["parts"]] == [2]
            assert len(resumed["uploaded"]) == upload["part_count"] - 1
            url = resumed["parts"][0]["url"]
            put = await s3.put(url, content=part_bytes(big, part_size, min(part_size, size - part_size)))
            assert put.status_code == 200, put.text

        completed = await platform.api.post(f"/v1/uploads/{asset_id}/complete", headers=auth)
        assert completed.status_code == 200, completed.text
        assert (completed.json()["status"], completed.json()["size_bytes"]) == ("processing", size)
    # The file never passed through the services: memory grew by far less than it.
    assert peak[0] - baseline < 100 * _MIB, f"memory grew by {(peak[0] - baseline) / _MIB:.0f} MiB"

    asset = await wait_until_done(platform, auth, asset_id)
    assert asset["status"] == "ready", asset
    assert round(asset["media"]["duration_s"]) == 40
    download = (await platform.api.get(f"/v1/assets/{asset_id}/download", headers=auth)).json()
    async with httpx.AsyncClient() as http, http.stream("GET", download["url"]) as response:
        received = 0
        async for chunk in response.aiter_bytes():
            received += len(chunk)
    assert received == size


async def test_a_large_streamed_upload_keeps_memory_bounded(platform: Platform, tmp_path: Path) -> None:
    _, auth = await platform.tenant("acme")
    big = padded_mp4(tmp_path / "streamed.mp4", 500 * _MIB)
    baseline = rss_bytes()
    with peak_rss() as peak:
        response = await platform.api.post(
            "/v1/assets",
            content=_form_body(big),
            headers={**auth, "Content-Type": f"multipart/form-data; boundary={_BOUNDARY}"},
        )
    assert response.status_code == 201, response.text
    assert response.json()["size_bytes"] == big.stat().st_size
    # Buffers in flight (gRPC messages, the 32 MiB pipe, S3 parts) stay far below the file's size.
    assert peak[0] - baseline < 250 * _MIB, f"memory grew by {(peak[0] - baseline) / _MIB:.0f} MiB"


async def test_an_upload_over_the_size_quota_is_refused_before_it_is_sent(platform: Platform) -> None:
    _, auth = await platform.tenant("acme")
    response = await platform.api.post(
        "/v1/uploads", json={"filename": "x.mp4", "size_bytes": 50 * 1024**3}, headers=auth
    )
    assert (response.status_code, response.json()["code"]) == (413, "upload_too_large")


async def test_an_aborted_upload_leaves_nothing(platform: Platform) -> None:
    _, auth = await platform.tenant("acme")
    upload = (await platform.api.post("/v1/uploads", json={"filename": "x.mp4", "size_bytes": 10}, headers=auth)).json()
    assert (await platform.api.delete(f"/v1/uploads/{upload['asset_id']}", headers=auth)).status_code == 204
    assert (await platform.api.get(f"/v1/uploads/{upload['asset_id']}", headers=auth)).status_code == 404
    assert (await platform.api.get("/v1/assets", headers=auth)).json()["items"] == []


_BOUNDARY = "reelforge-test-boundary"


async def _form_body(path: Path) -> AsyncIterator[bytes]:
    yield (
        f'--{_BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    with path.open("rb") as file:
        while chunk := file.read(_MIB):
            yield chunk
    yield f"\r\n--{_BOUNDARY}--\r\n".encode()
