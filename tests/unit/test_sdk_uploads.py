"""Uploads through the SDK against fake servers: the streamed multipart body
and presigned multipart uploads (byte ranges, no Authorization, resume, retry)."""

from __future__ import annotations

import io
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from python_multipart import parse_form
from python_multipart.multipart import File

from reelforge_sdk import AsyncClient, Client, ReelforgeError, RetryPolicy, UploadInterruptedError

API = "http://api.test"
TOKEN = "rf_k1_secret"
MiB = 1024 * 1024
FAST = RetryPolicy(max_retries=3, jitter=lambda d: d)


def asset_json(asset_id: str = "a_1", status: str = "processing", **extra: Any) -> dict[str, Any]:
    return {
        "id": asset_id,
        "job_id": "j_1",
        "status": status,
        "filename": "clip.mp4",
        "content_type": "video/mp4",
        "size_bytes": 10,
        "source": "upload",
        "media": None,
        "derivatives": {},
        "error": None,
        "created_at": "2025-01-01T00:00:00Z",
        "updated_at": "2025-01-01T00:00:01Z",
        **extra,
    }


def media_file(tmp_path: Path, size: int, name: str = "clip.mp4") -> Path:
    path = tmp_path / name
    path.write_bytes(os.urandom(size))
    return path


def parse_multipart(headers: httpx.Headers, body: bytes) -> list[File]:
    files: list[File] = []
    parse_form(
        {"Content-Type": headers["content-type"].encode(), "Content-Length": str(len(body)).encode()},
        io.BytesIO(body),
        lambda _field: None,
        files.append,
    )
    return files


class ChunkRecorder(httpx.BaseTransport):
    """Reads the request body chunk by chunk, as a socket would, before answering."""

    def __init__(self, answer: Callable[[httpx.Request, bytes], httpx.Response]) -> None:
        self.answer = answer
        self.chunks: list[int] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = bytearray()
        for chunk in request.stream:  # type: ignore[union-attr]
            self.chunks.append(len(chunk))
            body += chunk
        return self.answer(request, bytes(body))


def test_a_small_file_streams_as_one_well_formed_multipart_request(tmp_path: Path) -> None:
    size = int(2.5 * MiB)
    path = media_file(tmp_path, size)
    seen: dict[str, Any] = {}

    def answer(request: httpx.Request, body: bytes) -> httpx.Response:
        seen.update(request=request, body=body)
        return httpx.Response(201, json=asset_json())

    transport = ChunkRecorder(answer)
    progress: list[tuple[int, int]] = []
    with Client(API, TOKEN, transport=transport) as client:
        asset = client.upload(path, on_progress=lambda sent, total: progress.append((sent, total)))

    assert asset.id == "a_1"
    assert asset.status == "processing"
    request, body = seen["request"], seen["body"]
    assert request.method == "POST"
    assert request.url.path == "/v1/assets"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert len(request.headers["idempotency-key"]) == 36
    assert int(request.headers["content-length"]) == len(body)
    assert "transfer-encoding" not in request.headers
    [part] = parse_multipart(request.headers, body)
    assert part.field_name == b"file"
    assert part.file_name == b"clip.mp4"
    part.file_object.seek(0)
    assert part.file_object.read() == path.read_bytes()
    # head, three file reads of at most 1 MiB, tail: never the whole file at once.
    assert len(transport.chunks) == 5
    assert max(transport.chunks) == MiB
    assert progress == [(MiB, size), (2 * MiB, size), (size, size)]


def test_a_retried_streaming_upload_sends_the_whole_body_again(tmp_path: Path) -> None:
    path = media_file(tmp_path, 3000)
    bodies: list[bytes] = []
    keys: list[str] = []

    def answer(request: httpx.Request, body: bytes) -> httpx.Response:
        bodies.append(body)
        keys.append(request.headers["idempotency-key"])
        if len(bodies) == 1:
            return httpx.Response(503, json={"code": "unavailable", "title": "t", "status": 503, "detail": ""})
        return httpx.Response(201, json=asset_json())

    with Client(API, TOKEN, transport=ChunkRecorder(answer), retry=FAST, sleep=lambda _: None) as client:
        client.upload(path)

    assert len(bodies) == 2
    assert bodies[0] == bodies[1]
    assert keys[0] == keys[1]


class FakeObjectStore:
    """A fake API with presigned multipart uploads and the object store behind them."""

    def __init__(self, size: int, part_size: int, *, stored: tuple[int, ...] = ()) -> None:
        self.size = size
        self.part_size = part_size
        self.part_count = -(-size // part_size)
        self.parts: dict[int, bytes] = {n: b"" for n in stored}
        self.puts: list[tuple[int, httpx.Request]] = []
        self.api_calls: list[tuple[str, str, httpx.Request]] = []
        self.fail: dict[int, int] = {}  # part number -> how many PUTs of it fail (with 500)
        self.lock = threading.Lock()

    def upload_json(self) -> dict[str, Any]:
        missing = [n for n in range(1, self.part_count + 1) if n not in self.parts]
        return {
            "asset_id": "a_big",
            "job_id": "j_big",
            "size_bytes": self.size,
            "part_size": self.part_size,
            "part_count": self.part_count,
            "parts": [
                {"number": n, "url": f"https://s3.test/media/a_big?partNumber={n}&X-Amz-Signature=s"} for n in missing
            ],
            "uploaded": [{"number": n, "size": self.part_size} for n in sorted(self.parts)],
            "expires_at": "2025-01-02T00:00:00Z",
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            if request.url.host == "s3.test":
                return self.put(request)
            self.api_calls.append((request.method, request.url.path, request))
        match request.method, request.url.path:
            case "POST", "/v1/uploads":
                return httpx.Response(201, json=self.upload_json())
            case "GET", "/v1/uploads/a_big":
                return httpx.Response(200, json=self.upload_json())
            case "POST", "/v1/uploads/a_big/complete":
                assert sorted(self.parts) == list(range(1, self.part_count + 1))
                return httpx.Response(200, json=asset_json("a_big", source="multipart"))
        return httpx.Response(404, json={"code": "not_found", "title": "t", "status": 404, "detail": "no route"})

    def put(self, request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["partNumber"])
        self.puts.append((number, request))
        if self.fail.get(number, 0) > 0:
            self.fail[number] -= 1
            return httpx.Response(500, text="<Error><Code>InternalError</Code></Error>")
        self.parts[number] = request.content
        return httpx.Response(200, headers={"ETag": f'"etag-{number}"'})


def test_a_large_file_goes_up_in_presigned_parts_with_their_byte_ranges(tmp_path: Path) -> None:
    path = media_file(tmp_path, 10_000)
    data = path.read_bytes()
    store = FakeObjectStore(size=10_000, part_size=4096)
    progress: list[tuple[int, int]] = []

    with Client(API, TOKEN, transport=httpx.MockTransport(store)) as client:
        asset = client.upload(
            path, multipart_threshold=5000, on_progress=lambda sent, total: progress.append((sent, total))
        )

    assert asset.id == "a_big"
    assert store.parts == {1: data[:4096], 2: data[4096:8192], 3: data[8192:]}
    for _, put in store.puts:
        assert put.method == "PUT"
        assert "authorization" not in put.headers
        assert "idempotency-key" not in put.headers
    create = store.api_calls[0][2]
    assert json.loads(create.content) == {"filename": "clip.mp4", "size_bytes": 10_000, "content_type": "video/mp4"}
    assert create.headers["authorization"] == f"Bearer {TOKEN}"
    assert [(m, p) for m, p, _ in store.api_calls] == [("POST", "/v1/uploads"), ("POST", "/v1/uploads/a_big/complete")]
    assert progress[0] == (0, 10_000)
    assert progress[-1] == (10_000, 10_000)
    assert sorted(sent for sent, _ in progress) == [sent for sent, _ in progress]


def test_resuming_an_upload_sends_only_the_missing_parts(tmp_path: Path) -> None:
    path = media_file(tmp_path, 4 * 1000 - 10)
    data = path.read_bytes()
    store = FakeObjectStore(size=len(data), part_size=1000, stored=(1, 3))
    progress: list[int] = []

    with Client(API, TOKEN, transport=httpx.MockTransport(store)) as client:
        asset = client.resume_upload("a_big", path, on_progress=lambda sent, _: progress.append(sent))

    assert asset.id == "a_big"
    assert sorted(n for n, _ in store.puts) == [2, 4]
    assert store.parts[2] == data[1000:2000]
    assert store.parts[4] == data[3000:]
    assert progress[0] == 2000
    assert progress[-1] == len(data)


@pytest.mark.parametrize("size", [100, 9_999])
def test_resuming_with_a_different_file_is_refused_before_sending_anything(tmp_path: Path, size: int) -> None:
    path = media_file(tmp_path, size)
    store = FakeObjectStore(size=10_000, part_size=4096, stored=(1,))

    with Client(API, TOKEN, transport=httpx.MockTransport(store)) as client, pytest.raises(ReelforgeError) as caught:
        client.resume_upload("a_big", path)

    assert caught.value.code == "file_mismatch"
    assert store.puts == []


def test_a_failing_part_is_retried(tmp_path: Path) -> None:
    path = media_file(tmp_path, 10_000)
    store = FakeObjectStore(size=10_000, part_size=4096)
    store.fail = {2: 2}
    sleeps: list[float] = []

    with Client(API, TOKEN, transport=httpx.MockTransport(store), retry=FAST, sleep=sleeps.append) as client:
        client.upload(path, multipart_threshold=5000)

    assert [n for n, _ in store.puts].count(2) == 3
    assert store.parts[2] == path.read_bytes()[4096:8192]
    assert sleeps == [0.5, 1.0]


def test_a_part_that_keeps_failing_leaves_a_resumable_upload(tmp_path: Path) -> None:
    path = media_file(tmp_path, 10_000)
    store = FakeObjectStore(size=10_000, part_size=4096)
    store.fail = {3: 100}

    with (
        Client(API, TOKEN, transport=httpx.MockTransport(store), retry=FAST, sleep=lambda _: None) as client,
        pytest.raises(UploadInterruptedError) as caught,
    ):
        client.upload(path, multipart_threshold=5000)

    assert caught.value.asset_id == "a_big"
    assert caught.value.failed_parts == [3]
    assert caught.value.code == "upload_interrupted"
    assert [n for n, _ in store.puts].count(3) == 4
    assert ("POST", "/v1/uploads/a_big/complete") not in [(m, p) for m, p, _ in store.api_calls]

    store.fail = {}
    with Client(API, TOKEN, transport=httpx.MockTransport(store)) as client:
        client.resume_upload("a_big", path)
    assert [n for n, _ in store.puts][-1] == 3


def test_a_part_size_hint_is_passed_to_the_server(tmp_path: Path) -> None:
    path = media_file(tmp_path, 10_000)
    store = FakeObjectStore(size=10_000, part_size=4096)

    with Client(API, TOKEN, transport=httpx.MockTransport(store)) as client:
        client.upload(path, multipart_threshold=0, part_size=4096, content_type="video/quicktime")

    body = json.loads(store.api_calls[0][2].content)
    assert body["part_size"] == 4096
    assert body["content_type"] == "video/quicktime"


# The async client: same behaviour, async transport.


class AsyncChunkRecorder(httpx.AsyncBaseTransport):
    def __init__(self, answer: Callable[[httpx.Request, bytes], httpx.Response]) -> None:
        self.answer = answer
        self.chunks: list[int] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = bytearray()
        async for chunk in request.stream:  # type: ignore[union-attr]
            self.chunks.append(len(chunk))
            body += chunk
        return self.answer(request, bytes(body))


async def test_the_async_client_streams_a_small_file_in_chunks(tmp_path: Path) -> None:
    path = media_file(tmp_path, int(1.5 * MiB), name="talk.mov")
    seen: dict[str, Any] = {}

    def answer(request: httpx.Request, body: bytes) -> httpx.Response:
        seen.update(request=request, body=body)
        return httpx.Response(201, json=asset_json())

    transport = AsyncChunkRecorder(answer)
    progress: list[int] = []
    async with AsyncClient(API, TOKEN, transport=transport) as client:
        await client.upload(path, on_progress=lambda sent, _: progress.append(sent))

    [part] = parse_multipart(seen["request"].headers, seen["body"])
    assert part.file_name == b"talk.mov"
    part.file_object.seek(0)
    assert part.file_object.read() == path.read_bytes()
    assert transport.chunks[1:3] == [MiB, MiB // 2]
    assert progress == [MiB, int(1.5 * MiB)]


async def test_the_async_client_uploads_and_resumes_parts(tmp_path: Path) -> None:
    path = media_file(tmp_path, 10_000)
    data = path.read_bytes()
    store = FakeObjectStore(size=10_000, part_size=1000)
    store.fail = {7: 100}
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    async with AsyncClient(API, TOKEN, transport=httpx.MockTransport(store), retry=FAST, sleep=sleep) as client:
        with pytest.raises(UploadInterruptedError) as caught:
            await client.upload(path, multipart_threshold=5000, concurrency=3)
        assert caught.value.failed_parts == [7]
        assert len(store.parts) == 9
        assert all("authorization" not in put.headers for _, put in store.puts)

        store.fail = {}
        before = len(store.puts)
        asset = await client.resume_upload("a_big", path)

    assert asset.id == "a_big"
    assert [n for n, _ in store.puts[before:]] == [7]
    assert b"".join(store.parts[n] for n in range(1, 11)) == data
    assert len(sleeps) == 3
