"""The public models (``api/schemas.py``, ``api/asset_schemas.py``) as
``reelforge.api.v1`` messages, and the API's enums both ways."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from reelforge.api.v1 import admin_pb2, assets_pb2, jobs_pb2, keys_pb2
from reelforge_common.proto_time import timestamp
from reelforge_gateway.api import asset_schemas, schemas
from reelforge_gateway.live import JobChange
from reelforge_gateway.problems import ProblemError
from reelforge_gateway.projection import JobStatus

# Each enum value names the REST value it stands for: JOB_STATUS_QUEUED is "queued".
_JOB_STATUS = "JOB_STATUS_"
_ASSET_STATUS = "ASSET_STATUS_"
_SCOPE = "SCOPE_"
N = TypeVar("N", bound=int)


def _rest_value(name: str, prefix: str) -> str | None:
    """The REST value of a request's enum value (by name); None when unspecified."""
    value = name.removeprefix(prefix).lower()
    return None if value == "unspecified" else value


def _enum_name(name_of: Callable[[N], str], number: N, field: str) -> str:
    try:
        return name_of(number)
    except ValueError:
        raise ProblemError("validation_failed", f"{field}: unknown value {number}") from None


def job_status_filter(number: jobs_pb2.JobStatus.ValueType) -> JobStatus | None:
    value = _rest_value(_enum_name(jobs_pb2.JobStatus.Name, number, "status"), _JOB_STATUS)
    return JobStatus(value) if value else None


def asset_status_filter(number: assets_pb2.AssetStatus.ValueType) -> str | None:
    return _rest_value(_enum_name(assets_pb2.AssetStatus.Name, number, "status"), _ASSET_STATUS)


def scope_names(numbers: Iterable[keys_pb2.Scope.ValueType]) -> list[str]:
    """Scopes by REST name; an unspecified one stays so, for validation to refuse."""
    return [_rest_value(_enum_name(keys_pb2.Scope.Name, n, "scopes"), _SCOPE) or "unspecified" for n in numbers]


def _job_status(value: str) -> jobs_pb2.JobStatus.ValueType:
    return jobs_pb2.JobStatus.Value(_JOB_STATUS + value.upper())


def _asset_status(value: str) -> assets_pb2.AssetStatus.ValueType:
    return assets_pb2.AssetStatus.Value(_ASSET_STATUS + value.upper())


def _failure(error: schemas.JobError | None) -> jobs_pb2.Failure | None:
    return jobs_pb2.Failure(code=error.code, message=error.message) if error else None


def job(view: schemas.Job) -> jobs_pb2.Job:
    return jobs_pb2.Job(
        id=view.id,
        kind=view.kind,
        status=_job_status(view.status),
        stage=view.stage,
        progress=view.progress,
        resource_id=view.resource_id,
        created_at=timestamp(view.created_at),
        updated_at=timestamp(view.updated_at),
        error=_failure(view.error),
        outputs={
            name: jobs_pb2.JobOutput(url=output.url, expires_at=timestamp(output.expires_at))
            for name, output in view.outputs.items()
        },
    )


def job_event(change: JobChange | None) -> jobs_pb2.JobEvent:
    """A change as a stream message; None (the stream is idle) as a keep-alive."""
    if change is None:
        return jobs_pb2.JobEvent(keep_alive=jobs_pb2.KeepAlive())
    return jobs_pb2.JobEvent(job=job(schemas.Job.model_validate_json(change.job)), version=change.version)


def asset(view: asset_schemas.Asset) -> assets_pb2.Asset:
    media = None
    if view.media is not None:
        media = assets_pb2.MediaInfo(**view.media.model_dump())
    return assets_pb2.Asset(
        id=view.id,
        job_id=view.job_id,
        status=_asset_status(view.status),
        filename=view.filename,
        content_type=view.content_type,
        size_bytes=view.size_bytes,
        source=view.source,
        source_url=view.source_url or "",
        media=media,
        derivatives=view.derivatives,
        error=_failure(view.error),
        created_at=timestamp(view.created_at),
        updated_at=timestamp(view.updated_at),
    )


def download_url(view: asset_schemas.DownloadUrl) -> assets_pb2.DownloadUrl:
    return assets_pb2.DownloadUrl(url=view.url, expires_at=timestamp(view.expires_at))


def upload(view: asset_schemas.Upload) -> assets_pb2.Upload:
    return assets_pb2.Upload(
        asset_id=view.asset_id,
        job_id=view.job_id,
        size_bytes=view.size_bytes,
        part_size=view.part_size,
        part_count=view.part_count,
        parts=[assets_pb2.PartUrl(number=p.number, url=p.url) for p in view.parts],
        uploaded=[assets_pb2.UploadedPart(number=p.number, size=p.size) for p in view.uploaded],
        expires_at=timestamp(view.expires_at),
    )


def api_key(view: schemas.ApiKey) -> keys_pb2.ApiKey:
    return keys_pb2.ApiKey(
        id=view.id,
        name=view.name,
        scopes=[keys_pb2.Scope.Value(_SCOPE + scope.value.upper()) for scope in view.scopes],
        created_at=timestamp(view.created_at),
        revoked_at=timestamp(view.revoked_at) if view.revoked_at else None,
    )


def api_key_with_token(view: schemas.ApiKeyWithSecret) -> keys_pb2.ApiKeyWithToken:
    return keys_pb2.ApiKeyWithToken(key=api_key(view), token=view.token)


def tenant(view: schemas.Tenant) -> admin_pb2.Tenant:
    return admin_pb2.Tenant(id=view.id, name=view.name, created_at=timestamp(view.created_at))


def tenant_with_key(view: schemas.TenantWithKey) -> admin_pb2.TenantWithKey:
    return admin_pb2.TenantWithKey(tenant=tenant(view.tenant), api_key=api_key_with_token(view.api_key))
