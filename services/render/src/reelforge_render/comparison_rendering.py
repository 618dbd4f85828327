"""Making a comparison's video: the consumer of ``comparevideo.requested``
(on ``render-exports``, see ``media_jobs``).

The comparison (with its alignment path) and both subjects' landmarks come
from the pose service; the two originals from S3; ``side_by_side`` draws and
encodes; the video is stored under a key made of the video's id, so a rerun
after a crash overwrites the same object.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import grpc

from reelforge.events.v1.render_pb2 import ComparisonVideoCompleted, ComparisonVideoRequested
from reelforge.pose.v1 import pose_pb2
from reelforge_common.bus import Event, Route
from reelforge_common.db import Database
from reelforge_common.db.connection import Connection
from reelforge_common.db.connection import Executor as Db
from reelforge_common.ffmpeg_process import ProgressCallback
from reelforge_common.job_events import JobEvents
from reelforge_common.storage import ObjectStore
from reelforge_render import side_by_side
from reelforge_render.clients import Analyses
from reelforge_render.config import RenderSettings
from reelforge_render.media_jobs import JobFailedError, MediaJob
from reelforge_render.store import assets, comparison_videos
from reelforge_render.store.comparison_videos import ComparisonVideoRow

log = logging.getLogger(__name__)
COMPARISON_VIDEO_EVENTS = JobEvents(producer="render", domain="comparevideo")
CONTENT_TYPES = {"mp4": "video/mp4", "webm": "video/webm"}


def weakest(comparison: pose_pb2.Comparison) -> side_by_side.Weakest | None:
    """The feedback of the lowest-scoring weak segment (None when no segment is weak)."""
    weak = [segment for segment in comparison.segments if segment.weak and segment.feedback]
    if not weak:
        return None
    first = min(weak, key=lambda segment: segment.score).feedback[0]
    return side_by_side.Weakest(first.text, first.joint, first.attempt_start_s, first.attempt_end_s)


class ComparisonVideos(MediaJob[ComparisonVideoRow, tuple[str, float]]):
    events = COMPARISON_VIDEO_EVENTS
    stage = "rendering"
    gave_up_code = "comparison_video_failed"

    def __init__(self, settings: RenderSettings, db: Database, store: ObjectStore, analyses: Analyses) -> None:
        super().__init__(db)
        self._settings = settings
        self._store = store
        self._analyses = analyses

    def routes(self) -> tuple[Route[ComparisonVideoRequested]]:
        return (Route("comparevideo.requested", ComparisonVideoRequested, self.on_requested),)

    async def on_requested(self, event: Event[ComparisonVideoRequested]) -> None:
        await self.handle(event, event.payload.video_id)

    async def load(self, conn: Db, tenant_id: str, row_id: str, *, lock: bool = False) -> ComparisonVideoRow | None:
        return await comparison_videos.get(conn, tenant_id=tenant_id, video_id=row_id, lock=lock)

    async def mark_running(self, row: ComparisonVideoRow) -> None:
        await comparison_videos.mark_running(self._db.pool, tenant_id=row.tenant_id, video_id=row.id)

    async def make(self, row: ComparisonVideoRow) -> tuple[str, float]:
        """The video stored; returns its key and duration."""
        with tempfile.TemporaryDirectory(dir=self._settings.work_dir, prefix="compare-") as folder:
            output = Path(folder) / f"video.{row.format}"
            duration = await self.render(
                row.tenant_id,
                row.comparison_id,
                resolution=row.resolution,
                container=row.format,
                layout=row.layout,
                folder=Path(folder),
                output=output,
                originals={},
                on_progress=self.reporter(row, 0.05, 0.9),
            )
            key = self._store.key(row.tenant_id, "comparisons", f"{row.id}.{row.format}")
            await self._store.put_file(key, str(output), content_type=CONTENT_TYPES[row.format])
        return key, duration

    async def render(
        self,
        tenant_id: str,
        comparison_id: str,
        *,
        resolution: str,
        container: str,
        layout: str,
        folder: Path,
        output: Path,
        originals: dict[str, Path],
        on_progress: ProgressCallback | None = None,
    ) -> float:
        """A completed comparison's video into ``output``; the originals come
        down into ``folder`` once (``originals``: those already there, by
        asset id). Returns the video's duration."""
        try:
            comparison = await self._analyses.comparison(tenant_id=tenant_id, comparison_id=comparison_id)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                raise JobFailedError("not_found", f"no comparison {comparison_id}") from None
            raise
        if comparison.status != "completed":
            raise JobFailedError("comparison_not_ready", f"comparison {comparison_id} is {comparison.status}")
        sides = []
        for label, asset_id in (("reference", comparison.reference_asset_id), ("attempt", comparison.attempt_asset_id)):
            if asset_id not in originals:
                asset = await assets.asset(self._db.pool, tenant_id=tenant_id, asset_id=asset_id)
                if asset is None or asset.status != "ready":
                    raise JobFailedError("asset_not_ready", f"asset {asset_id} is gone or not ready")
                originals[asset_id] = folder / f"{asset_id}.original"
                await self._store.download(asset.original_key, str(originals[asset_id]))
            landmarks = await self._analyses.landmarks(tenant_id=tenant_id, asset_id=asset_id)
            sides.append(side_by_side.Side(originals[asset_id], landmarks, label))
        return await side_by_side.render(
            sides[0],
            sides[1],
            [(step.reference_s, step.attempt_s) for step in comparison.alignment],
            sample_fps=comparison.sample_fps,
            score=comparison.score,
            weakest=weakest(comparison),
            resolution=resolution,
            container=container,
            output=output,
            overlay=output.with_suffix(".ass"),
            layout=layout,
            on_progress=on_progress,
        )

    async def record_completion(
        self, conn: Connection, row: ComparisonVideoRow, made: tuple[str, float]
    ) -> ComparisonVideoCompleted:
        key, duration = made
        await comparison_videos.mark_completed(
            conn, tenant_id=row.tenant_id, video_id=row.id, output_key=key, duration_s=duration
        )
        log.info("comparison video completed", extra={"video_id": row.id, "duration_s": round(duration, 2)})
        return ComparisonVideoCompleted(
            video_id=row.id, comparison_id=row.comparison_id, video_key=key, duration_s=duration
        )

    async def record_failure(self, conn: Connection, row: ComparisonVideoRow, code: str, message: str) -> None:
        await comparison_videos.mark_failed(conn, tenant_id=row.tenant_id, video_id=row.id, code=code, message=message)
