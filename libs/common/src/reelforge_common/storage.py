"""Object storage over any S3 API through the ``minio`` SDK.

A service writes only under its own prefix, with the tenant as the next key
segment: ``<service>/<tenant_id>/...``. Keys of other services' objects
arrive in events and may be read. The SDK is synchronous; calls run in a
worker thread so the event loop never blocks on S3.

Every S3 request is retried, in this one place, when the connection fails
or S3 answers 5xx: exponential backoff up to ``s3_retry_limit_s``. An outage
that outlasts it raises :class:`StorageUnavailableError`, which callers
treat as "a dependency is down" (a 503 at the API, a failed job with that
reason), never as a bug.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, BinaryIO, TypeVar
from urllib.parse import urlsplit

import certifi
import urllib3
from minio import Minio
from minio.datatypes import Part
from minio.deleteobjects import DeleteObject
from minio.error import InvalidResponseError, S3Error, ServerError

from reelforge_common.settings import ServiceSettings

_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._=-]*$")
_PART_SIZE = 16 * 1024 * 1024
_NOT_FOUND = {"NoSuchKey", "NoSuchObject", "NoSuchBucket"}
_RETRY_STATUSES = (500, 502, 503, 504)
# Backoff between retries of one request: none, then 0.5 s doubling up to 2 s.
_BACKOFF_FACTOR_S = 0.25
_BACKOFF_MAX_S = 2.0
_CONNECT_TIMEOUT_S = 5.0
# Longest wait for S3's answer (a large part upload is acknowledged only once stored).
_READ_TIMEOUT_S = 120.0
T = TypeVar("T")


class StorageUnavailableError(Exception):
    """S3 could not be reached, or kept failing, for longer than the retry limit."""


def retry_policy(limit_s: float) -> urllib3.Retry:
    """Retries of one S3 request on connection errors, broken responses and
    5xx answers, every method included (S3 requests are idempotent, or
    harmless to repeat), as many as the backoff fits into ``limit_s``."""
    retries, waited = 0, 0.0
    while waited < limit_s:
        retries += 1
        waited += 0.0 if retries == 1 else min(_BACKOFF_MAX_S, _BACKOFF_FACTOR_S * 2 ** (retries - 1))
    return urllib3.Retry(
        total=retries,
        backoff_factor=_BACKOFF_FACTOR_S,
        backoff_max=_BACKOFF_MAX_S,
        status_forcelist=_RETRY_STATUSES,
        allowed_methods=None,
        raise_on_status=False,  # the last 5xx answer reaches the SDK, which raises it
    )


def http_client(*, retry_limit_s: float, secure: bool) -> urllib3.PoolManager:
    """The SDK's HTTP client with bounded timeouts and :func:`retry_policy`
    (the SDK's own default waits up to five minutes for a silent server)."""
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=_CONNECT_TIMEOUT_S, read=_READ_TIMEOUT_S),
        maxsize=10,
        cert_reqs="CERT_REQUIRED" if secure else "CERT_NONE",
        ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        retries=retry_policy(retry_limit_s),
    )


def _unavailable(exc: Exception) -> bool:
    """Whether ``exc`` says S3 is down or failing, not that the request was wrong."""
    if isinstance(exc, urllib3.exceptions.HTTPError | ConnectionError | TimeoutError):
        return True
    if isinstance(exc, ServerError):
        return exc.status_code >= 500
    if isinstance(exc, InvalidResponseError):
        return int(getattr(exc, "_code", 0)) >= 500
    if isinstance(exc, S3Error):
        return exc.response.status >= 500
    return False


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    etag: str
    content_type: str


@dataclass(frozen=True)
class StoredPart:
    number: int
    size: int
    etag: str


# SigV4's longest presigned lifetime. Each service's settings bound the
# lifetimes it hands out (REELFORGE_PRESIGN_EXPIRY_S, REELFORGE_URL_EXPIRY_S).
MAX_PRESIGN = timedelta(days=7)


class ObjectStore:
    """One service's view of the bucket."""

    def __init__(
        self,
        client: Minio,
        *,
        bucket: str,
        service: str,
        max_presign: timedelta = MAX_PRESIGN,
        signer: Minio | None = None,
        retry_limit_s: float = 0.0,
    ) -> None:
        self._client = client
        self._retry_limit_s = retry_limit_s
        # Presigned URLs are for callers outside the cluster: signed for the
        # public endpoint when there is one (signing needs no request).
        self._signer = signer or client
        self.bucket = bucket
        self.service = service
        self.max_presign = max_presign

    @classmethod
    def from_settings(cls, settings: ServiceSettings, service: str) -> ObjectStore:
        def client(endpoint: str, secure: bool) -> Minio:
            return Minio(
                endpoint,
                access_key=settings.s3_access_key.get_secret_value(),
                secret_key=settings.s3_secret_key.get_secret_value(),
                secure=secure,
                region=settings.s3_region,
                http_client=http_client(retry_limit_s=settings.s3_retry_limit_s, secure=secure),
            )

        signer = None
        if settings.s3_public_url:
            public = urlsplit(settings.s3_public_url)
            signer = client(public.netloc, public.scheme == "https")
        return cls(
            client(settings.s3_endpoint, settings.s3_secure),
            bucket=settings.s3_bucket,
            service=service,
            signer=signer,
            retry_limit_s=settings.s3_retry_limit_s,
        )

    async def _run(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one SDK call in a worker thread; S3 being down (after the HTTP
        client's retries) raises :class:`StorageUnavailableError`."""
        try:
            return await asyncio.to_thread(call, *args, **kwargs)
        except Exception as exc:
            if _unavailable(exc):
                raise StorageUnavailableError(
                    f"object storage unavailable (retried for {self._retry_limit_s:g} s): {exc}"
                ) from exc
            raise

    def key(self, tenant_id: str, *parts: str) -> str:
        """``<service>/<tenant>/<parts...>``; refuses segments that could
        escape the tenant's folder."""
        segments = [tenant_id, *parts]
        for segment in segments:
            if not _SEGMENT.match(segment) or ".." in segment:
                raise ValueError(f"invalid object key segment: {segment!r}")
        return "/".join([self.service, *segments])

    def tenant_prefix(self, tenant_id: str) -> str:
        return self.key(tenant_id) + "/"

    def _own(self, key: str) -> str:
        """``key`` if it is one of this service's well-formed keys (or, ending
        in "/", a folder of them)."""
        service, _, rest = key.partition("/")
        if service != self.service:
            raise PermissionError(f"{self.service} may not write {key!r}: outside its prefix")
        segments = rest.removesuffix("/").split("/") if rest else []
        if not all(_SEGMENT.match(s) and ".." not in s for s in segments):
            raise ValueError(f"invalid object key: {key!r}")
        return key

    async def ensure_bucket(self) -> None:
        if not await self._run(self._client.bucket_exists, self.bucket):
            try:
                await self._run(self._client.make_bucket, self.bucket)
            except S3Error as exc:
                if exc.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                    raise

    async def put_stream(
        self, key: str, stream: BinaryIO, *, content_type: str = "application/octet-stream", length: int = -1
    ) -> ObjectInfo:
        """Upload from a readable stream; with ``length=-1`` (unknown) the SDK
        sends a multipart upload in 16 MiB parts, up to three in flight, so at
        most a few parts are held in memory, whatever the object's size."""
        result = await self._run(
            self._client.put_object,
            self.bucket,
            self._own(key),
            stream,
            length,
            content_type=content_type,
            part_size=_PART_SIZE,
        )
        info = await self.stat(key)
        if info is None:
            raise RuntimeError(f"{result.object_name} is missing right after its upload")
        return info

    async def put_file(self, key: str, path: str, *, content_type: str = "application/octet-stream") -> ObjectInfo:
        """Upload a local file (multipart in 16 MiB parts when large)."""
        with open(path, "rb") as stream:  # noqa: ASYNC230 - the upload itself runs in a thread
            size = os.fstat(stream.fileno()).st_size
            return await self.put_stream(key, stream, content_type=content_type, length=size)

    async def download(self, key: str, path: str) -> None:
        """Copy an object to a local file."""
        await self._run(self._client.fget_object, self.bucket, key, path)

    async def read(self, key: str) -> bytes:
        """A whole (small) object."""
        return await self.read_head(key, 0)

    async def read_head(self, key: str, length: int) -> bytes:
        """The first ``length`` bytes of an object (fewer if it is shorter; 0: all of it)."""
        return await self.read_range(key, 0, length)

    async def read_range(self, key: str, offset: int, length: int) -> bytes:
        """``length`` bytes of an object from ``offset`` (fewer at its end; 0: to the end)."""

        def _read() -> bytes:
            response = self._client.get_object(self.bucket, key, offset=offset, length=length)
            try:
                return bytes(response.read())
            finally:
                response.close()
                response.release_conn()

        return await self._run(_read)

    async def delete(self, key: str) -> None:
        await self._run(self._client.remove_object, self.bucket, self._own(key))

    # Multipart uploads driven by a client through presigned part URLs. The
    # minio SDK exposes these S3 calls only as underscore methods (its own
    # put_object uses them); they are kept behind this small surface.

    async def create_multipart(self, key: str, content_type: str) -> str:
        """Start a multipart upload of ``key``; returns its upload id."""
        headers: dict[str, str | list[str] | tuple[str]] = {"Content-Type": content_type}
        upload_id: str = await self._run(self._client._create_multipart_upload, self.bucket, self._own(key), headers)
        return upload_id

    async def presigned_part(self, key: str, upload_id: str, number: int, expires: timedelta) -> str:
        """A URL allowing one PUT of part ``number`` of an upload."""
        return await self._run(
            self._signer.get_presigned_url,
            "PUT",
            self.bucket,
            self._own(key),
            expires=self._expiry(expires),
            extra_query_params={"partNumber": str(number), "uploadId": upload_id},
        )

    async def list_parts(self, key: str, upload_id: str) -> list[StoredPart]:
        """The parts stored so far, by number; empty after completion or abort."""

        def _list() -> list[StoredPart]:
            parts: list[StoredPart] = []
            marker: str | None = None
            while True:
                page = self._client._list_parts(self.bucket, key, upload_id, part_number_marker=marker)
                parts += [StoredPart(p.part_number, p.size or 0, p.etag) for p in page.parts]
                if not page.is_truncated:
                    return parts
                marker = page.next_part_number_marker

        return await self._run(_list)

    async def complete_multipart(self, key: str, upload_id: str, parts: list[StoredPart]) -> None:
        await self._run(
            self._client._complete_multipart_upload,
            self.bucket,
            self._own(key),
            upload_id,
            [Part(p.number, p.etag) for p in parts],
        )

    async def abort_multipart(self, key: str, upload_id: str) -> None:
        """Abort an upload; one already gone (completed or aborted) is fine."""
        try:
            await self._run(self._client._abort_multipart_upload, self.bucket, self._own(key), upload_id)
        except S3Error as exc:
            if exc.code != "NoSuchUpload":
                raise

    async def stat(self, key: str) -> ObjectInfo | None:
        try:
            obj = await self._run(self._client.stat_object, self.bucket, key)
        except S3Error as exc:
            if exc.code in _NOT_FOUND:
                return None
            raise
        return ObjectInfo(key=key, size=obj.size or 0, etag=obj.etag or "", content_type=obj.content_type or "")

    async def iter_chunks(self, key: str, chunk_size: int = 1024 * 1024) -> AsyncIterator[bytes]:
        """Stream an object's bytes without holding it in memory."""
        response = await self._run(self._client.get_object, self.bucket, key)
        try:
            while chunk := await self._run(response.read, chunk_size):
                yield chunk
        finally:
            response.close()
            response.release_conn()

    async def delete_prefix(self, prefix: str) -> int:
        """Delete every object under ``prefix``, a folder (ending in "/") of this
        service's own: without the slash "svc/acme" would also match "svc/acme2"."""
        if not prefix.endswith("/"):
            raise ValueError(f"a prefix to delete must end with '/': {prefix!r}")
        self._own(prefix)

        def _delete() -> int:
            names = [o.object_name for o in self._client.list_objects(self.bucket, prefix=prefix, recursive=True)]
            errors = list(self._client.remove_objects(self.bucket, (DeleteObject(n) for n in names if n)))
            if errors:
                raise RuntimeError(f"could not delete {len(errors)} objects under {prefix}: {errors[0]}")
            return len(names)

        return await self._run(_delete)

    def _expiry(self, expires: timedelta) -> timedelta:
        if not timedelta(seconds=1) <= expires <= self.max_presign:
            raise ValueError(f"presigned URL expiry must be between 1 s and {self.max_presign}")
        return expires

    async def presigned_get(
        self, key: str, expires: timedelta = timedelta(minutes=15), *, request_date: datetime | None = None
    ) -> str:
        """A URL allowing one GET of ``key`` until it expires."""
        return await self._run(
            self._signer.presigned_get_object,
            self.bucket,
            key,
            expires=self._expiry(expires),
            request_date=request_date,
        )

    async def presigned_put(self, key: str, expires: timedelta = timedelta(minutes=15)) -> str:
        """A URL allowing one PUT to ``key`` (one of this service's) until it expires."""
        return await self._run(
            self._signer.presigned_put_object, self.bucket, self._own(key), expires=self._expiry(expires)
        )
