"""The one exception the SDK raises, built from problem+json or a transport failure."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from reelforge_sdk.models import Asset, Job

# Codes for answers that carry no problem document (a proxy's 502, S3's XML).
_CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    413: "upload_too_large",
    415: "unsupported_media",
    422: "validation_failed",
    429: "rate_limited",
    500: "internal_error",
    502: "bad_gateway",
    503: "unavailable",
    504: "gateway_timeout",
}


class ReelforgeError(Exception):
    """A request that did not succeed.

    ``status`` is the HTTP status, or ``None`` when no answer came back (then
    ``code`` is ``network_error``, ``timeout`` and the like). ``code`` is the
    API's stable problem code; switch on it rather than on ``title``.
    """

    def __init__(
        self,
        *,
        code: str,
        title: str,
        detail: str = "",
        status: int | None = None,
        type: str = "",
        retry_after: float | None = None,
    ) -> None:
        self.code = code
        self.title = title
        self.detail = detail
        self.status = status
        self.type = type or f"urn:reelforge:problem:{code}"
        self.retry_after = retry_after
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f" (HTTP {self.status})" if self.status is not None else ""
        return f"{self.code}: {self.detail or self.title}{where}"

    def __repr__(self) -> str:
        return f"ReelforgeError(status={self.status!r}, code={self.code!r}, detail={self.detail!r})"

    def to_dict(self) -> dict[str, Any]:
        """The error as the CLI prints it with ``--json``."""
        return {"status": self.status, "code": self.code, "title": self.title, "detail": self.detail}

    @classmethod
    def from_response(cls, response: httpx.Response) -> ReelforgeError:
        """Parse a problem+json answer; anything else gets a code from its status."""
        status = response.status_code
        retry_after = retry_after_seconds(response)
        problem = _problem_document(response)
        if problem is not None:
            return cls(
                code=str(problem.get("code") or _CODE_BY_STATUS.get(status, "http_error")),
                title=str(problem.get("title") or response.reason_phrase),
                detail=str(problem.get("detail") or ""),
                status=status,
                type=str(problem.get("type") or ""),
                retry_after=retry_after,
            )
        text = response.text.strip() if response.content else ""
        return cls(
            code=_CODE_BY_STATUS.get(status, "http_error"),
            title=response.reason_phrase or f"HTTP {status}",
            detail=text[:300],
            status=status,
            retry_after=retry_after,
        )

    @classmethod
    def from_transport(cls, exc: httpx.TransportError, url: httpx.URL | str | None = None) -> ReelforgeError:
        """A request that got no answer: refused, reset, timed out."""
        if isinstance(exc, httpx.TimeoutException):
            where = f" from {url}" if url else ""
            return cls(code="timeout", title="The request timed out", detail=f"no answer{where} in time")
        reason = str(exc) or type(exc).__name__
        where = f" ({url})" if url else ""
        return cls(code="network_error", title="The API could not be reached", detail=f"{reason}{where}")

    @classmethod
    def download_failed(cls, status: int, name: str) -> ReelforgeError:
        """A presigned download answered ``status`` instead of the file ``name``."""
        return cls(
            status=status,
            code="download_failed",
            title="The file could not be downloaded",
            detail=f"{name}: HTTP {status}",
        )


class UploadInterruptedError(ReelforgeError):
    """Some parts of a presigned multipart upload could not be stored.

    The parts that did arrive are kept; call ``resume_upload(asset_id, path)``
    to send only the missing ones.
    """

    def __init__(self, *, asset_id: str, failed_parts: list[int], cause: ReelforgeError) -> None:
        self.asset_id = asset_id
        self.failed_parts = failed_parts
        self.cause = cause
        numbers = ", ".join(map(str, failed_parts))
        super().__init__(
            code="upload_interrupted",
            title="The upload is incomplete",
            detail=f"parts {numbers} of upload {asset_id} failed ({cause}); resume it with the same file",
            status=cause.status,
        )


def job_failed(job: Job) -> ReelforgeError:
    """A failed job as an error: its own code and message, naming the job."""
    error = job.error
    return ReelforgeError(
        code=error.code if error else "job_failed",
        title="The job failed",
        detail=f"{error.message if error else 'no reason given'} (job {job.id} failed)",
    )


def asset_failed(asset: Asset) -> ReelforgeError:
    """An asset whose processing failed as an error: its own code and message, naming the asset."""
    error = asset.error
    return ReelforgeError(
        code=error.code if error else "asset_failed",
        title="The asset failed",
        detail=f"{error.message if error else 'no reason given'} (asset {asset.id} failed)",
    )


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The ``Retry-After`` header in seconds (delta-seconds or an HTTP date)."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def is_problem_document(response: httpx.Response) -> bool:
    """Whether the answer is the API's own ``application/problem+json``."""
    return str(response.headers.get("Content-Type", "")).startswith("application/problem+json")


def _problem_document(response: httpx.Response) -> dict[str, Any] | None:
    content_type = response.headers.get("Content-Type", "")
    if "json" not in content_type:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
