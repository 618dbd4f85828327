"""Python SDK for the Reelforge public API.

``Client`` is synchronous, ``AsyncClient`` the same API with ``await``; both
raise :class:`ReelforgeError` for anything that did not succeed.
"""

from reelforge_sdk.aio import AsyncClient
from reelforge_sdk.calls import DEFAULT_API_URL
from reelforge_sdk.client import Client
from reelforge_sdk.errors import ReelforgeError, UploadInterruptedError
from reelforge_sdk.models import (
    ApiKey,
    Asset,
    DownloadLink,
    ErrorInfo,
    Job,
    MediaInfo,
    Page,
    Tenant,
    TenantWithKey,
    Upload,
    UploadedPart,
    UploadPart,
)
from reelforge_sdk.retry import RetryPolicy
from reelforge_sdk.uploads import DEFAULT_MULTIPART_THRESHOLD, ProgressCallback

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_MULTIPART_THRESHOLD",
    "ApiKey",
    "Asset",
    "AsyncClient",
    "Client",
    "DownloadLink",
    "ErrorInfo",
    "Job",
    "MediaInfo",
    "Page",
    "ProgressCallback",
    "ReelforgeError",
    "RetryPolicy",
    "Tenant",
    "TenantWithKey",
    "Upload",
    "UploadInterruptedError",
    "UploadPart",
    "UploadedPart",
]
