"""The ``reelforge.render.v1.Projects`` gRPC service, called by the gateway:
projects, their items, and their exports."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import grpc
from google.protobuf.empty_pb2 import Empty

from reelforge.events.v1.render_pb2 import ExportRequested, MixRequested
from reelforge.render.v1 import render_pb2, render_pb2_grpc
from reelforge_common.db import Database
from reelforge_common.db.connection import Connection
from reelforge_common.db.connection import Executor as Db
from reelforge_common.grpc_server import RefusedError, refusing
from reelforge_common.pagination import after_cursor, encode_cursor, page_size
from reelforge_common.proto_time import timestamp
from reelforge_common.storage import ObjectStore
from reelforge_render import mix_plan
from reelforge_render.export_settings import ExportSettings
from reelforge_render.exporting import EXPORT_EVENTS
from reelforge_render.grpc_api.render import ANNOUNCEMENT_WAIT_S
from reelforge_render.mixing import MIX_EVENTS
from reelforge_render.sequence import length, problems
from reelforge_render.store import assets, clip_jobs, exports, mixes, projects
from reelforge_render.store.assets import AssetRow
from reelforge_render.store.exports import ExportRow
from reelforge_render.store.mixes import MixRow
from reelforge_render.store.projects import ItemRow, ProjectRow

SERVICE_NAME = "reelforge.render.v1.Projects"
MAX_ITEMS = 100
_STATUS = {
    "validation_failed": grpc.StatusCode.INVALID_ARGUMENT,
    "no_video": grpc.StatusCode.INVALID_ARGUMENT,
    "not_found": grpc.StatusCode.NOT_FOUND,
    "export_finished": grpc.StatusCode.FAILED_PRECONDITION,
}


def _after(cursor: str) -> tuple[datetime, str] | None:
    try:
        return after_cursor(cursor)
    except ValueError:
        raise RefusedError("validation_failed", "the cursor is not one this API gave") from None


def _item(item: ItemRow) -> render_pb2.ProjectItem:
    return render_pb2.ProjectItem(
        id=item.id,
        position=item.position,
        asset_id=item.asset_id,
        trim_in_s=item.trim_in_s,
        trim_out_s=item.trim_out_s,
        duration_s=item.duration_s,
        clip_job_id=item.clip_job_id,
        clip_index=item.clip_index,
    )


class ProjectsService(render_pb2_grpc.ProjectsServicer):
    def __init__(self, db: Database, store: ObjectStore, *, url_expiry_s: int) -> None:
        self._db = db
        self._store = store
        self._expiry = timedelta(seconds=url_expiry_s)

    def register(self, server: grpc.aio.Server) -> None:
        render_pb2_grpc.add_ProjectsServicer_to_server(self, server)

    # Projects.

    @refusing(_STATUS)
    async def CreateProject(
        self, request: render_pb2.CreateProjectRequest, context: grpc.aio.ServicerContext
    ) -> render_pb2.Project:
        row = await projects.create(self._db.pool, tenant_id=request.tenant_id, name=_name(request.name))
        return _project(row, [])

    @refusing(_STATUS)
    async def ListProjects(
        self, request: render_pb2.ListProjectsRequest, context: grpc.aio.ServicerContext
    ) -> render_pb2.ProjectPage:
        limit = page_size(request.limit)
        rows = await projects.newest(
            self._db.pool, tenant_id=request.tenant_id, limit=limit + 1, after=_after(request.cursor)
        )
        page = render_pb2.ProjectPage(projects=[_project(row, None) for row in rows[:limit]])
        if len(rows) > limit:
            page.next_cursor = encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id)
        return page

    @refusing(_STATUS)
    async def GetProject(self, request: render_pb2.ProjectRef, context: grpc.aio.ServicerContext) -> render_pb2.Project:
        async with self._db.transaction() as conn:
            row = await self._project(conn, request.tenant_id, request.project_id)
            return _project(row, await projects.items(conn, tenant_id=row.tenant_id, project_id=row.id))

    @refusing(_STATUS)
    async def RenameProject(
        self, request: render_pb2.RenameProjectRequest, context: grpc.aio.ServicerContext
    ) -> render_pb2.Project:
        async with self._db.transaction() as conn:
            row = await self._project(conn, request.tenant_id, request.project_id, lock=True)
            await projects.rename(conn, tenant_id=row.tenant_id, project_id=row.id, name=_name(request.name))
            return await self._current(conn, row)

    @refusing(_STATUS)
    async def DeleteProject(self, request: render_pb2.ProjectRef, context: grpc.aio.ServicerContext) -> Empty:
        if not await projects.delete(self._db.pool, tenant_id=request.tenant_id, project_id=request.project_id):
            raise RefusedError("not_found", f"no project {request.project_id}")
        return Empty()

    # Items.

    @refusing(_STATUS)
    async def AddItem(
        self, request: render_pb2.AddItemRequest, context: grpc.aio.ServicerContext
    ) -> render_pb2.Project:
        if request.clip_job_id:
            source = await self._rendered_clip(
                self._db.pool, request.tenant_id, request.clip_job_id, request.clip_index
            )
        else:
            announced = await assets.announced(
                self._db.pool, tenant_id=request.tenant_id, asset_id=request.asset_id, wait_s=ANNOUNCEMENT_WAIT_S
            )
            source = Source(request.asset_id, _video_duration(announced, request.asset_id))
        async with self._db.transaction() as conn:
            row = await self._project(conn, request.tenant_id, request.project_id, lock=True)
            items = await projects.items(conn, tenant_id=row.tenant_id, project_id=row.id)
            if len(items) >= MAX_ITEMS:
                raise RefusedError("validation_failed", f"a project holds at most {MAX_ITEMS} clips")
            trim_out = _trim(request.trim_in_s, request.trim_out_s, source.duration_s)
            item = ItemRow(
                projects.new_item_id(), 0, source.asset_id, request.trim_in_s, trim_out,
                request.clip_job_id, request.clip_index if request.clip_job_id else 0,
            )  # fmt: skip
            at = min(request.position, len(items)) if request.HasField("position") else len(items)
            items.insert(at, item)
            await projects.store_items(conn, tenant_id=row.tenant_id, project_id=row.id, ordered=items)
            return await self._current(conn, row)

    @refusing(_STATUS)
    async def UpdateItem(
        self, request: render_pb2.UpdateItemRequest, context: grpc.aio.ServicerContext
    ) -> render_pb2.Project:
        async with self._db.transaction() as conn:
            row = await self._project(conn, request.tenant_id, request.project_id, lock=True)
            items = await projects.items(conn, tenant_id=row.tenant_id, project_id=row.id)
            index = _index(items, request.item_id)
            item = items.pop(index)
            if request.HasField("trim_in_s") or request.HasField("trim_out_s"):
                duration = (await self._item_source(conn, request.tenant_id, item)).duration_s
                trim_in = request.trim_in_s if request.HasField("trim_in_s") else item.trim_in_s
                trim_out = request.trim_out_s if request.HasField("trim_out_s") else item.trim_out_s
                item = replace(item, trim_in_s=trim_in, trim_out_s=_trim(trim_in, trim_out, duration))
            items.insert(min(request.position, len(items)) if request.HasField("position") else index, item)
            await projects.store_items(conn, tenant_id=row.tenant_id, project_id=row.id, ordered=items)
            return await self._current(conn, row)

    @refusing(_STATUS)
    async def DuplicateItem(self, request: render_pb2.ItemRef, context: grpc.aio.ServicerContext) -> render_pb2.Project:
        async with self._db.transaction() as conn:
            row = await self._project(conn, request.tenant_id, request.project_id, lock=True)
            items = await projects.items(conn, tenant_id=row.tenant_id, project_id=row.id)
            if len(items) >= MAX_ITEMS:
                raise RefusedError("validation_failed", f"a project holds at most {MAX_ITEMS} clips")
            index = _index(items, request.item_id)
            original = items[index]
            copy = replace(original, id=projects.new_item_id())
            items.insert(index + 1, copy)
            await projects.store_items(conn, tenant_id=row.tenant_id, project_id=row.id, ordered=items)
            return await self._current(conn, row)

    @refusing(_STATUS)
    async def DeleteItem(self, request: render_pb2.ItemRef, context: grpc.aio.ServicerContext) -> render_pb2.Project:
        async with self._db.transaction() as conn:
            row = await self._project(conn, request.tenant_id, request.project_id, lock=True)
            items = await projects.items(conn, tenant_id=row.tenant_id, project_id=row.id)
            del items[_index(items, request.item_id)]
            await projects.store_items(conn, tenant_id=row.tenant_id, project_id=row.id, ordered=items)
            return await self._current(conn, row)

    # Exports.

    @refusing(_STATUS)
    async def RequestExport(
        self, request: render_pb2.ExportRequest, context: grpc.aio.ServicerContext
    ) -> render_pb2.Export:
        settings = ExportSettings.from_message(request.settings)
        if found := settings.problems():
            raise RefusedError("validation_failed", "; ".join(found))
        async with self._db.transaction() as conn:
            earlier = await exports.by_job(conn, tenant_id=request.tenant_id, job_id=request.job_id)
            if earlier is not None:  # a retried request: the export exists already
                return await self._export(earlier)
            row = await self._project(conn, request.tenant_id, request.project_id, lock=True)
            items = await projects.items(conn, tenant_id=row.tenant_id, project_id=row.id)
            if not items:
                raise RefusedError("validation_failed", f"project {row.id} has no clips to export")
            joins = settings.joins(len(items))
            if joins is None:
                raise RefusedError(
                    "validation_failed",
                    f"give no transition, one for every join, or {len(items) - 1} (one per join), "
                    f"not {len(settings.transitions)}",
                )
            durations = [item.duration_s for item in items]
            if found := problems(durations, joins):
                raise RefusedError("validation_failed", "; ".join(found))
            for item in items:  # each asset still there and ready
                _video_duration(
                    await assets.asset(conn, tenant_id=row.tenant_id, asset_id=item.asset_id), item.asset_id
                )
            snapshot = [
                {"id": i.id, "asset_id": i.asset_id, "trim_in_s": i.trim_in_s, "trim_out_s": i.trim_out_s}
                for i in items
            ]
            made = await exports.create(
                conn,
                tenant_id=request.tenant_id,
                job_id=request.job_id,
                project_id=row.id,
                settings=replace(settings, transitions=joins).to_json(),
                items=snapshot,
                duration_s=length(durations, joins),
            )
            requested = ExportRequested(export_id=made.id, project_id=row.id)
            await EXPORT_EVENTS.emit(conn, "requested", requested, tenant_id=request.tenant_id, job_id=request.job_id)
        return await self._export(made)

    @refusing(_STATUS)
    async def ListExports(
        self, request: render_pb2.ListExportsRequest, context: grpc.aio.ServicerContext
    ) -> render_pb2.ExportPage:
        limit = page_size(request.limit)
        rows = await exports.history(
            self._db.pool,
            tenant_id=request.tenant_id,
            project_id=request.project_id,
            limit=limit + 1,
            after=_after(request.cursor),
        )
        page = render_pb2.ExportPage(exports=[await self._export(row) for row in rows[:limit]])
        if len(rows) > limit:
            page.next_cursor = encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id)
        return page

    @refusing(_STATUS)
    async def GetExport(self, request: render_pb2.ExportRef, context: grpc.aio.ServicerContext) -> render_pb2.Export:
        row = await exports.get(self._db.pool, tenant_id=request.tenant_id, export_id=request.export_id)
        if row is None:
            raise RefusedError("not_found", f"no export {request.export_id}")
        return await self._export(row)

    @refusing(_STATUS)
    async def CancelExport(self, request: render_pb2.ExportRef, context: grpc.aio.ServicerContext) -> render_pb2.Export:
        async with self._db.transaction() as conn:
            row = await exports.get(conn, tenant_id=request.tenant_id, export_id=request.export_id, lock=True)
            if row is None:
                raise RefusedError("not_found", f"no export {request.export_id}")
            if row.finished:
                raise RefusedError("export_finished", f"export {row.id} is {row.status} already")
            # The worker sees the status at its next progress report, stops FFmpeg and stores nothing.
            message = "cancelled by the tenant"
            await exports.mark_ended(
                conn, tenant_id=row.tenant_id, export_id=row.id, status="cancelled", code="cancelled", message=message
            )
            await EXPORT_EVENTS.failed(
                conn,
                tenant_id=row.tenant_id,
                job_id=row.job_id,
                resource_id=row.id,
                code="cancelled",
                message=message,
                stage="cancelled",
            )
            ended = await exports.get(conn, tenant_id=row.tenant_id, export_id=row.id)
        assert ended is not None
        return await self._export(ended)

    # Mixes.

    @refusing(_STATUS)
    async def RequestMix(self, request: render_pb2.MixRequest, context: grpc.aio.ServicerContext) -> render_pb2.Mix:
        groups = [list(group.asset_ids) for group in request.groups]
        picks = [list(combination.picks) for combination in request.combinations]
        found = mix_plan.problems(groups, mode=request.mode, count=request.variants, picks=picks)
        if found:
            raise RefusedError("validation_failed", "; ".join(found))
        async with self._db.transaction() as conn:
            earlier = await mixes.by_job(conn, tenant_id=request.tenant_id, job_id=request.job_id)
            if earlier is not None:  # a retried request: the mix exists already
                return await self._mix(earlier)
            durations = {}
            for asset_id in {a for group in groups for a in group}:
                found_asset = await assets.asset(conn, tenant_id=request.tenant_id, asset_id=asset_id)
                durations[asset_id] = _video_duration(found_asset, asset_id)
            mix_id = mixes.new_mix_id()
            if request.mode == "auto":
                picks = mix_plan.auto_picks(groups, request.variants, seed=mix_id)
            name = request.name.strip() or "mix"
            variants = []
            for index, pick in enumerate(picks):
                combination = request.combinations[index] if request.mode == "manual" else None
                given = combination.settings if combination is not None and combination.HasField("settings") else None
                settings = ExportSettings.from_message(given or request.settings)
                chosen = [group[i] for group, i in zip(groups, pick, strict=True)]
                variants.append(
                    _variant(
                        index,
                        chosen,
                        [durations[a] for a in chosen],
                        settings,
                        {
                            "title": f"{name} #{index + 1}",
                            "comment": f"variant {index + 1} of {len(picks)}: " + ", ".join(chosen),
                            **request.metadata,
                            **(combination.metadata if combination is not None else {}),
                        },
                    )
                )
            row = await mixes.create(
                conn, tenant_id=request.tenant_id, mix_id=mix_id, job_id=request.job_id, name=name, variants=variants
            )
            await MIX_EVENTS.emit(
                conn, "requested", MixRequested(mix_id=mix_id), tenant_id=request.tenant_id, job_id=request.job_id
            )
        return await self._mix(row)

    @refusing(_STATUS)
    async def GetMix(self, request: render_pb2.MixRef, context: grpc.aio.ServicerContext) -> render_pb2.Mix:
        row = await mixes.get(self._db.pool, tenant_id=request.tenant_id, mix_id=request.mix_id)
        if row is None:
            raise RefusedError("not_found", f"no mix {request.mix_id}")
        return await self._mix(row)

    async def _mix(self, row: MixRow) -> render_pb2.Mix:
        message = render_pb2.Mix(
            id=row.id,
            job_id=row.job_id,
            name=row.name,
            status=row.status,
            error_code=row.error_code or "",
            error_message=row.error_message or "",
            created_at=timestamp(row.created_at),
            completed_at=timestamp(row.completed_at),
        )
        for variant in row.variants:
            settings = ExportSettings.from_json(variant["settings"])
            entry = render_pb2.MixVariant(
                index=variant["index"],
                asset_ids=variant["asset_ids"],
                settings=settings.to_message(),
                metadata=variant["metadata"],
                duration_s=length(variant["durations"], settings.transitions),
            )
            if variant["output_key"]:  # listed as each variant is made
                entry.video_url = await self._store.presigned_get(variant["output_key"], self._expiry)
            message.variants.append(entry)
        message.urls_expire_at.FromDatetime(datetime.now(UTC) + self._expiry)
        return message

    # Helpers.

    async def _project(self, conn: Connection, tenant_id: str, project_id: str, *, lock: bool = False) -> ProjectRow:
        row = await projects.get(conn, tenant_id=tenant_id, project_id=project_id, lock=lock)
        if row is None:
            raise RefusedError("not_found", f"no project {project_id}")
        return row

    async def _rendered_clip(self, conn: Db, tenant_id: str, clip_job_id: str, index: int) -> Source:
        """A clip a completed clip job of the tenant rendered."""
        job = await clip_jobs.by_id(conn, tenant_id=tenant_id, clip_job_id=clip_job_id)
        if job is None:
            raise RefusedError("not_found", f"no clip job {clip_job_id}")
        if job.status != "completed":
            raise RefusedError("clip_job_not_ready", f"clip job {clip_job_id} is {job.status}")
        plan = await clip_jobs.plan(conn, tenant_id=tenant_id, clip_job_id=clip_job_id)
        clip = next((c for c in plan if c.idx == index and c.rendered), None)
        if clip is None:
            raise RefusedError("not_found", f"clip job {clip_job_id} has no clip {index}")
        return Source(job.asset_id, clip.end_s - clip.start_s, clip.video_key)

    async def _item_source(self, conn: Db, tenant_id: str, item: ItemRow) -> Source:
        if item.clip_job_id:
            return await self._rendered_clip(conn, tenant_id, item.clip_job_id, item.clip_index)
        found = await assets.asset(conn, tenant_id=tenant_id, asset_id=item.asset_id)
        return Source(item.asset_id, _video_duration(found, item.asset_id))

    async def _current(self, conn: Connection, row: ProjectRow) -> render_pb2.Project:
        latest = await projects.get(conn, tenant_id=row.tenant_id, project_id=row.id)
        assert latest is not None
        return _project(latest, await projects.items(conn, tenant_id=row.tenant_id, project_id=row.id))

    async def _export(self, row: ExportRow) -> render_pb2.Export:
        settings = ExportSettings.from_json(row.settings)
        message = render_pb2.Export(
            id=row.id,
            job_id=row.job_id,
            project_id=row.project_id,
            status=row.status,
            settings=settings.to_message(),
            items=[
                _item(
                    ItemRow(
                        i["id"],
                        position,
                        i["asset_id"],
                        i["trim_in_s"],
                        i["trim_out_s"],
                        i.get("clip_job_id", ""),
                        i.get("clip_index", 0),
                    )
                )
                for position, i in enumerate(row.items)
            ],
            duration_s=row.duration_s,
            size_bytes=row.size_bytes,
            error_code=row.error_code or "",
            error_message=row.error_message or "",
            created_at=timestamp(row.created_at),
            completed_at=timestamp(row.completed_at),
        )
        if row.status == "completed":
            message.video_url = await self._store.presigned_get(row.output_key, self._expiry)
            message.urls_expire_at.FromDatetime(datetime.now(UTC) + self._expiry)
        return message


def _project(row: ProjectRow, items: list[ItemRow] | None) -> render_pb2.Project:
    message = render_pb2.Project(
        id=row.id, name=row.name, created_at=timestamp(row.created_at), updated_at=timestamp(row.updated_at)
    )
    for item in items or []:
        message.items.append(_item(item))
    message.duration_s = sum(item.duration_s for item in items or [])
    return message


@dataclass(frozen=True)
class Source:
    """What a project's clip is cut from: an asset, or a clip a clip job
    rendered (``video_key``, render's own file)."""

    asset_id: str
    duration_s: float
    video_key: str = ""


def _variant(
    index: int, asset_ids: list[str], durations: list[float], settings: ExportSettings, metadata: dict[str, str]
) -> dict[str, object]:
    """One variant of a mix as its row keeps it, once its settings fit its clips."""
    if found := settings.problems():
        raise RefusedError("validation_failed", f"variant {index + 1}: " + "; ".join(found))
    joins = settings.joins(len(asset_ids))
    if joins is None:
        raise RefusedError("validation_failed", f"variant {index + 1}: give no transition, one, or one per join")
    if found := problems(durations, joins):
        raise RefusedError("validation_failed", f"variant {index + 1}: " + "; ".join(found))
    return {
        "index": index,
        "asset_ids": asset_ids,
        "durations": durations,
        "settings": replace(settings, transitions=joins).to_json(),
        "metadata": metadata,
        "output_key": "",
    }


def _video_duration(asset: AssetRow | None, asset_id: str) -> float:
    """The duration of a ready video asset."""
    if asset is None or asset.status != "ready":
        raise RefusedError("asset_not_ready", f"asset {asset_id} is not a ready asset here")
    if not asset.has_video:
        raise RefusedError("no_video", f"asset {asset_id} has no video track")
    return asset.duration_s


def _name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise RefusedError("validation_failed", "a project's name is 1 to 200 characters")
    return name


def _trim(trim_in_s: float, trim_out_s: float, duration_s: float) -> float:
    """The trim's end (0: the asset's end), once the trim fits the asset."""
    end = trim_out_s or duration_s
    if not 0 <= trim_in_s < end <= duration_s + 1e-3:
        raise RefusedError(
            "validation_failed", f"the trim {trim_in_s:.3f}-{end:.3f} s does not fit the asset (0-{duration_s:.3f} s)"
        )
    return min(end, duration_s)


def _index(items: list[ItemRow], item_id: str) -> int:
    for index, item in enumerate(items):
        if item.id == item_id:
            return index
    raise RefusedError("not_found", f"no item {item_id} in the project")
