"""Python SDK for the Reelforge public API.

``Client`` is synchronous, ``AsyncClient`` the same API with ``await``; both
raise :class:`ReelforgeError` for anything that did not succeed.
"""

from reelforge_sdk.aio import AsyncClient
from reelforge_sdk.calls import DEFAULT_API_URL
from reelforge_sdk.client import Client
from reelforge_sdk.clips import Clip, ClipJob
from reelforge_sdk.errors import ReelforgeError, UploadInterruptedError, asset_failed, job_failed
from reelforge_sdk.generations import Character, Estimate, Generation, Spend
from reelforge_sdk.models import (
    QUOTA_NAMES,
    ApiKey,
    Asset,
    DownloadLink,
    ErrorInfo,
    Frame,
    Job,
    JobOutput,
    MediaInfo,
    Page,
    QuotaReport,
    Quotas,
    Tenant,
    TenantWithKey,
    Upload,
    UploadedPart,
    UploadPart,
    Usage,
)
from reelforge_sdk.pose import (
    Comparison,
    ComparisonSegment,
    ComparisonVideo,
    Feedback,
    PoseAnalysis,
    PoseSignals,
    PracticeSession,
    Recording,
    SessionExport,
)
from reelforge_sdk.projects import Export, Mix, MixVariant, Project, ProjectItem
from reelforge_sdk.retry import RetryPolicy
from reelforge_sdk.transcripts import TRANSCRIPT_FORMATS, Transcript, TranscriptSegment, TranscriptWord
from reelforge_sdk.uploads import DEFAULT_MULTIPART_THRESHOLD, ProgressCallback
from reelforge_sdk.webhooks import EVENT_TYPES, Delivery, DeliveryAttempt, EmailSettings, Webhook, verify_webhook

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_MULTIPART_THRESHOLD",
    "EVENT_TYPES",
    "QUOTA_NAMES",
    "TRANSCRIPT_FORMATS",
    "ApiKey",
    "Asset",
    "AsyncClient",
    "Character",
    "Client",
    "Clip",
    "ClipJob",
    "Comparison",
    "ComparisonSegment",
    "ComparisonVideo",
    "Delivery",
    "DeliveryAttempt",
    "DownloadLink",
    "EmailSettings",
    "ErrorInfo",
    "Estimate",
    "Export",
    "Feedback",
    "Frame",
    "Generation",
    "Job",
    "JobOutput",
    "MediaInfo",
    "Mix",
    "MixVariant",
    "Page",
    "PoseAnalysis",
    "PoseSignals",
    "PracticeSession",
    "ProgressCallback",
    "Project",
    "ProjectItem",
    "QuotaReport",
    "Quotas",
    "Recording",
    "ReelforgeError",
    "RetryPolicy",
    "SessionExport",
    "Spend",
    "Tenant",
    "TenantWithKey",
    "Transcript",
    "TranscriptSegment",
    "TranscriptWord",
    "Upload",
    "UploadInterruptedError",
    "UploadPart",
    "UploadedPart",
    "Usage",
    "Webhook",
    "asset_failed",
    "job_failed",
    "verify_webhook",
]
