"""Idempotency-Key fingerprints: the same request hashes the same however it is sent."""

from __future__ import annotations

import random

from reelforge_gateway.api.idempotency import RequestFingerprint, key_of


def scope(body_headers: list[tuple[bytes, bytes]], path: str = "/v1/assets") -> dict[str, object]:
    return {"method": "POST", "path": path, "query_string": b"", "headers": body_headers}


def form(boundary: str, content: bytes) -> bytes:
    return (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n'
            "Content-Type: video/mp4\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )


def digest(boundary: str, content: bytes, *, path: str = "/v1/assets", seed: int = 0) -> bytes:
    """The fingerprint of a multipart upload sent in random-sized chunks."""
    body = form(boundary, content)
    headers = [
        (b"content-type", f"multipart/form-data; boundary={boundary}".encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    fingerprint = RequestFingerprint(scope(headers, path))
    chunks = random.Random(seed)
    offset = 0
    while offset < len(body):
        size = chunks.randint(1, 40)
        piece = body[offset : offset + size]
        offset += size
        fingerprint.update({"type": "http.request", "body": piece, "more_body": offset < len(body)})
    assert fingerprint.complete
    return fingerprint.digest()


def test_a_multipart_body_is_the_same_request_whatever_its_boundary_and_chunks() -> None:
    content = bytes(range(256)) * 20
    first = digest("boundary-from-the-first-try", content, seed=1)
    assert digest("a-quite-different-boundary-9f3e", content, seed=2) == first
    # Chunks may split a boundary anywhere, even one byte into it.
    assert digest("boundary-from-the-first-try", content, seed=3) == first


def test_different_content_or_path_is_a_different_request() -> None:
    content = b"frame" * 100
    assert digest("b1", content) != digest("b1", content[:-1] + b"X")
    assert digest("b1", content) != digest("b1", content, path="/v1/imports")


def test_a_request_without_a_body_is_complete_before_anything_is_read() -> None:
    fingerprint = RequestFingerprint(scope([]))
    assert fingerprint.complete
    unread = RequestFingerprint(scope([(b"content-length", b"10")]))
    assert not unread.complete


def test_keys_are_visible_ascii_bare_or_quoted() -> None:
    assert key_of('"8e03978e-40d5-43e8-bc93-6894a57f9324"') == "8e03978e-40d5-43e8-bc93-6894a57f9324"
    assert key_of("retry-1") == "retry-1"
    assert key_of("") is None
    assert key_of("has space") is None
    assert key_of("x" * 256) is None
