"""The object store against a real S3 API (SeaweedFS)."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from reelforge_common.settings import ServiceSettings
from reelforge_common.storage import ObjectStore


async def test_stream_of_unknown_length_round_trips_in_parts(store: ObjectStore) -> None:
    data = os.urandom(20 * 1024 * 1024 + 123)  # more than one 16 MiB part
    key = store.key("acme", "uploads", "big.bin")
    info = await store.put_stream(key, io.BytesIO(data), content_type="video/mp4")
    assert (info.size, info.content_type) == (len(data), "video/mp4")
    received = b"".join([chunk async for chunk in store.iter_chunks(key)])
    assert received == data


async def test_presigned_put_then_get_round_trips(store: ObjectStore) -> None:
    key = store.key("acme", "presigned.txt")
    async with httpx.AsyncClient() as http:
        put = await http.put(await store.presigned_put(key), content=b"hello reelforge")
        assert put.status_code == 200
        got = await http.get(await store.presigned_get(key))
    assert got.status_code == 200
    assert got.content == b"hello reelforge"


async def test_presigned_url_is_refused_after_expiry_and_for_another_object(store: ObjectStore) -> None:
    key, other = store.key("acme", "a.txt"), store.key("acme", "b.txt")
    for k in (key, other):
        await store.put_stream(k, io.BytesIO(b"x"), length=1)
    signed_two_minutes_ago = await store.presigned_get(
        key, timedelta(seconds=60), request_date=datetime.now(UTC) - timedelta(minutes=2)
    )
    valid = await store.presigned_get(key, timedelta(seconds=60))
    async with httpx.AsyncClient() as http:
        assert (await http.get(valid)).status_code == 200
        assert (await http.get(signed_two_minutes_ago)).status_code == 403
        assert (await http.get(valid.replace("/a.txt?", "/b.txt?"))).status_code == 403


async def test_presigned_urls_are_signed_for_the_public_endpoint(
    store: ObjectStore, settings: ServiceSettings, uid: str
) -> None:
    """Behind a proxy or ingress (s3_public_url), callers get URLs for the
    public host; the signature holds when the request reaches S3 through it."""
    public = "https://media.reelforge.example"
    behind_proxy = ObjectStore.from_settings(settings.model_copy(update={"s3_public_url": public}), uid)
    key = store.key("acme", "clip.mp4")
    await store.put_stream(key, io.BytesIO(b"frames"), length=6)
    try:
        url = await behind_proxy.presigned_get(key)
        assert url.startswith(f"{public}/{settings.s3_bucket}/{key}?")
        # What the proxy does: forward to S3 keeping the public Host header.
        direct = url.replace(public, f"http://{settings.s3_endpoint}")
        async with httpx.AsyncClient() as http:
            forwarded = await http.get(direct, headers={"Host": "media.reelforge.example"})
            assert (forwarded.status_code, forwarded.content) == (200, b"frames")
            # Signed for the public host: reaching S3 under its own name fails.
            assert (await http.get(direct)).status_code == 403
    finally:
        await store.delete_prefix(store.tenant_prefix("acme"))


async def test_presign_expiry_is_bounded(store: ObjectStore) -> None:
    with pytest.raises(ValueError, match="expiry"):
        await store.presigned_get(store.key("acme", "a"), timedelta(days=7, seconds=1))
    with pytest.raises(ValueError, match="expiry"):
        await store.presigned_put(store.key("acme", "a"), timedelta(0))


async def test_keys_stay_inside_the_service_and_tenant(store: ObjectStore) -> None:
    with pytest.raises(ValueError, match="segment"):
        store.key("acme", "..", "other-tenant", "x")
    with pytest.raises(ValueError, match="segment"):
        store.key("acme/../globex", "x")
    with pytest.raises(PermissionError):
        await store.put_stream("someone-else/acme/x", io.BytesIO(b"x"), length=1)
    with pytest.raises(ValueError, match="invalid object key"):
        await store.put_stream(f"{store.service}/acme/../globex/x", io.BytesIO(b"x"), length=1)
    with pytest.raises(ValueError, match="invalid object key"):
        await store.presigned_put(f"{store.service}//x")


async def test_delete_prefix_removes_one_tenant_only(store: ObjectStore) -> None:
    for tenant, name in [("acme", "1"), ("acme", "2"), ("acme2", "1"), ("globex", "1")]:
        await store.put_stream(store.key(tenant, "clips", name), io.BytesIO(b"x"), length=1)
    with pytest.raises(ValueError, match="must end with '/'"):
        await store.delete_prefix(store.key("acme"))  # would also match acme2
    assert await store.delete_prefix(store.tenant_prefix("acme")) == 2
    assert await store.stat(store.key("acme", "clips", "1")) is None
    assert await store.stat(store.key("acme2", "clips", "1")) is not None
    assert await store.stat(store.key("globex", "clips", "1")) is not None
