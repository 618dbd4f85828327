"""Projects and their exports: kept by the render service."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from reelforge.ingest.v1 import ingest_pb2
from reelforge.render.v1 import render_pb2
from reelforge_gateway.api.project_schemas import (
    Export,
    ExportCreate,
    ExportPage,
    ItemCreate,
    ItemUpdate,
    Project,
    ProjectPage,
)
from reelforge_gateway.api.schemas import Job
from reelforge_gateway.config import GatewaySettings
from reelforge_gateway.internal import InternalClients, ProjectsClient
from reelforge_gateway.live import JobFeed
from reelforge_gateway.operations.accepted import admit, new_job_id, record_job
from reelforge_gateway.operations.jobs import get_job
from reelforge_gateway.problems import ProblemError

KIND = "export"


async def create_project(projects: ProjectsClient, *, tenant_id: str, name: str) -> Project:
    request = render_pb2.CreateProjectRequest(tenant_id=tenant_id, name=name)
    return Project.from_message(
        await projects.calling(lambda: projects.stub.CreateProject(request, timeout=projects.timeout_s))
    )


async def list_projects(projects: ProjectsClient, *, tenant_id: str, limit: int, cursor: str | None) -> ProjectPage:
    request = render_pb2.ListProjectsRequest(tenant_id=tenant_id, limit=limit, cursor=cursor or "")
    page = await projects.calling(lambda: projects.stub.ListProjects(request, timeout=projects.timeout_s))
    return ProjectPage(items=[Project.from_message(p) for p in page.projects], next_cursor=page.next_cursor or None)


async def get_project(projects: ProjectsClient, *, tenant_id: str, project_id: str) -> Project:
    ref = render_pb2.ProjectRef(tenant_id=tenant_id, project_id=project_id)
    return Project.from_message(
        await projects.calling(lambda: projects.stub.GetProject(ref, timeout=projects.timeout_s))
    )


async def rename_project(projects: ProjectsClient, *, tenant_id: str, project_id: str, name: str) -> Project:
    request = render_pb2.RenameProjectRequest(tenant_id=tenant_id, project_id=project_id, name=name)
    return Project.from_message(
        await projects.calling(lambda: projects.stub.RenameProject(request, timeout=projects.timeout_s))
    )


async def delete_project(projects: ProjectsClient, *, tenant_id: str, project_id: str) -> None:
    ref = render_pb2.ProjectRef(tenant_id=tenant_id, project_id=project_id)
    await projects.calling(lambda: projects.stub.DeleteProject(ref, timeout=projects.timeout_s))


async def video_asset(clients: InternalClients, *, tenant_id: str, asset_id: str) -> None:
    """A ready video asset of the tenant (another tenant's is not_found)."""
    ingest = clients.ingest
    ref = ingest_pb2.AssetRef(tenant_id=tenant_id, asset_id=asset_id)
    asset = await ingest.calling(lambda: ingest.stub.GetAsset(ref, timeout=ingest.timeout_s))
    if asset.status == "failed":
        raise ProblemError("asset_failed", f"asset {asset_id} failed: {asset.error_code}")
    if asset.status != "ready":
        raise ProblemError("asset_not_ready", f"asset {asset_id} is {asset.status}")
    if not asset.media.has_video or asset.media.is_image:
        raise ProblemError("no_video", f"asset {asset_id} has no video to put in a sequence")


async def add_item(clients: InternalClients, *, tenant_id: str, project_id: str, body: ItemCreate) -> Project:
    request = render_pb2.AddItemRequest(
        tenant_id=tenant_id, project_id=project_id, trim_in_s=body.trim_in, trim_out_s=body.trim_out or 0.0
    )
    if body.clip is not None:  # render knows its clip jobs, and another tenant's is not found
        request.clip_job_id, request.clip_index = body.clip.clip_job_id, body.clip.index
    else:
        assert body.asset_id is not None
        await video_asset(clients, tenant_id=tenant_id, asset_id=body.asset_id)
        request.asset_id = body.asset_id
    if body.position is not None:
        request.position = body.position
    projects = clients.projects
    return Project.from_message(
        await projects.calling(lambda: projects.stub.AddItem(request, timeout=projects.timeout_s))
    )


async def update_item(
    projects: ProjectsClient, *, tenant_id: str, project_id: str, item_id: str, body: ItemUpdate
) -> Project:
    request = render_pb2.UpdateItemRequest(tenant_id=tenant_id, project_id=project_id, item_id=item_id)
    if body.trim_in is not None:
        request.trim_in_s = body.trim_in
    if body.trim_out is not None:
        request.trim_out_s = body.trim_out
    if body.position is not None:
        request.position = body.position
    return Project.from_message(
        await projects.calling(lambda: projects.stub.UpdateItem(request, timeout=projects.timeout_s))
    )


async def duplicate_item(projects: ProjectsClient, *, tenant_id: str, project_id: str, item_id: str) -> Project:
    ref = render_pb2.ItemRef(tenant_id=tenant_id, project_id=project_id, item_id=item_id)
    return Project.from_message(
        await projects.calling(lambda: projects.stub.DuplicateItem(ref, timeout=projects.timeout_s))
    )


async def delete_item(projects: ProjectsClient, *, tenant_id: str, project_id: str, item_id: str) -> Project:
    ref = render_pb2.ItemRef(tenant_id=tenant_id, project_id=project_id, item_id=item_id)
    return Project.from_message(
        await projects.calling(lambda: projects.stub.DeleteItem(ref, timeout=projects.timeout_s))
    )


async def request_export(
    pool: asyncpg.Pool,
    settings: GatewaySettings,
    clients: InternalClients,
    feed: JobFeed,
    *,
    tenant_id: str,
    project_id: str,
    body: ExportCreate,
) -> Job:
    """Queue an export of the project as it is now; the answer is the job
    (kind ``export``, its resource the export)."""
    await admit(pool, settings, tenant_id=tenant_id)
    job_id = new_job_id()
    request = render_pb2.ExportRequest(
        tenant_id=tenant_id, job_id=job_id, project_id=project_id, settings=body.to_message()
    )
    projects = clients.projects
    made = await projects.calling(lambda: projects.stub.RequestExport(request, timeout=projects.timeout_s))
    await record_job(feed, tenant_id=tenant_id, job_id=job_id, kind=KIND, resource_id=made.id, at=datetime.now(UTC))
    return await get_job(pool, feed.views, tenant_id=tenant_id, job_id=job_id)


async def list_exports(
    projects: ProjectsClient, *, tenant_id: str, project_id: str, limit: int, cursor: str | None
) -> ExportPage:
    await get_project(projects, tenant_id=tenant_id, project_id=project_id)  # another tenant's: not_found
    request = render_pb2.ListExportsRequest(
        tenant_id=tenant_id, project_id=project_id, limit=limit, cursor=cursor or ""
    )
    page = await projects.calling(lambda: projects.stub.ListExports(request, timeout=projects.timeout_s))
    return ExportPage(items=[Export.from_message(e) for e in page.exports], next_cursor=page.next_cursor or None)


async def get_export(projects: ProjectsClient, *, tenant_id: str, export_id: str) -> Export:
    ref = render_pb2.ExportRef(tenant_id=tenant_id, export_id=export_id)
    return Export.from_message(await projects.calling(lambda: projects.stub.GetExport(ref, timeout=projects.timeout_s)))


async def cancel_export(projects: ProjectsClient, *, tenant_id: str, export_id: str) -> Export:
    ref = render_pb2.ExportRef(tenant_id=tenant_id, export_id=export_id)
    return Export.from_message(
        await projects.calling(lambda: projects.stub.CancelExport(ref, timeout=projects.timeout_s))
    )


async def export_again(
    pool: asyncpg.Pool,
    settings: GatewaySettings,
    clients: InternalClients,
    feed: JobFeed,
    *,
    tenant_id: str,
    export_id: str,
) -> Job:
    """A new export of the same project with the same settings (its clips as they are now)."""
    earlier = await get_export(clients.projects, tenant_id=tenant_id, export_id=export_id)
    return await request_export(
        pool, settings, clients, feed, tenant_id=tenant_id, project_id=earlier.project_id, body=earlier.settings
    )
