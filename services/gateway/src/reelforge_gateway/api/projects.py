"""Projects: ordered clips from the tenant's video assets, each trimmed, and
their exports as one video with transitions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from reelforge_gateway.api.deps import Clients, Feed, Pool, Reader, Settings, Writer
from reelforge_gateway.api.links import follow
from reelforge_gateway.api.project_schemas import (
    Export,
    ExportCreate,
    ExportPage,
    ItemCreate,
    ItemUpdate,
    Project,
    ProjectCreate,
    ProjectPage,
    ProjectUpdate,
)
from reelforge_gateway.api.schemas import Job
from reelforge_gateway.operations import projects as operations
from reelforge_gateway.problems import documented

router = APIRouter(tags=["projects"], responses=documented("unauthenticated", "forbidden", "unavailable"))
Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=500, description="`next_cursor` of the previous page")]


@router.post(
    "/v1/projects",
    status_code=status.HTTP_201_CREATED,
    responses={
        **documented("validation_failed"),
        **follow(201, "/v1/projects/{project_id}", "project_id", "get", "patch", "delete"),
    },
)
async def create_project(body: ProjectCreate, caller: Writer, clients: Clients) -> Project:
    """An empty project: add clips to it, then export it."""
    return await operations.create_project(clients.projects, tenant_id=caller.tenant_id, name=body.name)


@router.get("/v1/projects", responses=documented("validation_failed"))
async def list_projects(caller: Reader, clients: Clients, limit: Limit = 20, cursor: Cursor = None) -> ProjectPage:
    """The tenant's projects, newest first (without their items)."""
    return await operations.list_projects(clients.projects, tenant_id=caller.tenant_id, limit=limit, cursor=cursor)


@router.get("/v1/projects/{project_id}", responses=documented("not_found"))
async def get_project(project_id: str, caller: Reader, clients: Clients) -> Project:
    """A project with its clips in order."""
    return await operations.get_project(clients.projects, tenant_id=caller.tenant_id, project_id=project_id)


@router.patch("/v1/projects/{project_id}", responses=documented("not_found", "validation_failed"))
async def rename_project(project_id: str, body: ProjectUpdate, caller: Writer, clients: Clients) -> Project:
    """Rename a project."""
    return await operations.rename_project(
        clients.projects, tenant_id=caller.tenant_id, project_id=project_id, name=body.name
    )


@router.delete("/v1/projects/{project_id}", status_code=status.HTTP_204_NO_CONTENT, responses=documented("not_found"))
async def delete_project(project_id: str, caller: Writer, clients: Clients) -> None:
    """Delete a project and its clip list; its exports and their videos stay."""
    await operations.delete_project(clients.projects, tenant_id=caller.tenant_id, project_id=project_id)


@router.post(
    "/v1/projects/{project_id}/items",
    status_code=status.HTTP_201_CREATED,
    responses=documented(
        "not_found", "validation_failed", "asset_not_ready", "asset_failed", "no_video", "clip_job_not_ready"
    ),
)
async def add_item(project_id: str, body: ItemCreate, caller: Writer, clients: Clients) -> Project:
    """Add a ready video asset (an upload, a generated video) or a clip a
    completed clip job rendered (`clip`), trimmed to `trim_in`-`trim_out`, at
    the end or at `position`."""
    return await operations.add_item(clients, tenant_id=caller.tenant_id, project_id=project_id, body=body)


@router.patch("/v1/projects/{project_id}/items/{item_id}", responses=documented("not_found", "validation_failed"))
async def update_item(project_id: str, item_id: str, body: ItemUpdate, caller: Writer, clients: Clients) -> Project:
    """Change a clip's trim, or move it to `position` (the others shift)."""
    return await operations.update_item(
        clients.projects, tenant_id=caller.tenant_id, project_id=project_id, item_id=item_id, body=body
    )


@router.post(
    "/v1/projects/{project_id}/items/{item_id}/duplicate",
    status_code=status.HTTP_201_CREATED,
    responses=documented("not_found", "validation_failed"),
)
async def duplicate_item(project_id: str, item_id: str, caller: Writer, clients: Clients) -> Project:
    """A copy of the clip (same asset and trim), right after it."""
    return await operations.duplicate_item(
        clients.projects, tenant_id=caller.tenant_id, project_id=project_id, item_id=item_id
    )


@router.delete("/v1/projects/{project_id}/items/{item_id}", responses=documented("not_found"))
async def delete_item(project_id: str, item_id: str, caller: Writer, clients: Clients) -> Project:
    """Remove a clip from the project; the others close up."""
    return await operations.delete_item(
        clients.projects, tenant_id=caller.tenant_id, project_id=project_id, item_id=item_id
    )


@router.post(
    "/v1/projects/{project_id}/exports",
    status_code=status.HTTP_202_ACCEPTED,
    responses=documented(
        "not_found", "validation_failed", "asset_not_ready", "concurrent_jobs_exceeded", "monthly_minutes_exceeded"
    ),
)
async def request_export(
    project_id: str, body: ExportCreate, caller: Writer, pool: Pool, settings: Settings, clients: Clients, feed: Feed
) -> Job:
    """Join the project's clips, as they are now, into one MP4: each clip
    scaled and padded to the frame, at the export's frame rate, its sound at
    48 kHz stereo (silence for a clip without sound), joined by cuts,
    crossfades or fades through black. The job (kind `export`) shows the
    progress; read `GET /v1/exports/{resource_id}`."""
    return await operations.request_export(
        pool, settings, clients, feed, tenant_id=caller.tenant_id, project_id=project_id, body=body
    )


@router.get("/v1/projects/{project_id}/exports", responses=documented("not_found", "validation_failed"))
async def list_exports(
    project_id: str, caller: Reader, clients: Clients, limit: Limit = 20, cursor: Cursor = None
) -> ExportPage:
    """The project's export history, newest first."""
    return await operations.list_exports(
        clients.projects, tenant_id=caller.tenant_id, project_id=project_id, limit=limit, cursor=cursor
    )


@router.get("/v1/exports/{export_id}", responses=documented("not_found"))
async def get_export(export_id: str, caller: Reader, clients: Clients) -> Export:
    """An export: its settings, the clips it joined and, once completed, its video."""
    return await operations.get_export(clients.projects, tenant_id=caller.tenant_id, export_id=export_id)


@router.post("/v1/exports/{export_id}/cancel", responses=documented("not_found", "export_finished"))
async def cancel_export(export_id: str, caller: Writer, clients: Clients) -> Export:
    """Stop a queued or running export: FFmpeg stops and no video is stored;
    its job fails with `cancelled`."""
    return await operations.cancel_export(clients.projects, tenant_id=caller.tenant_id, export_id=export_id)


@router.post(
    "/v1/exports/{export_id}/rerun",
    status_code=status.HTTP_202_ACCEPTED,
    responses=documented("not_found", "validation_failed", "concurrent_jobs_exceeded", "monthly_minutes_exceeded"),
)
async def export_again(
    export_id: str, caller: Writer, pool: Pool, settings: Settings, clients: Clients, feed: Feed
) -> Job:
    """Export the same project again with the same settings (its clips as they are now)."""
    return await operations.export_again(pool, settings, clients, feed, tenant_id=caller.tenant_id, export_id=export_id)
