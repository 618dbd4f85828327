"""Turning an asset's proxy into a pose track stored in S3.

The proxy (ingest's upright, low-resolution MP4) is downloaded to local
scratch space, analysed in a worker thread while progress is reported, and
the track written under a key made of the analysis id, so a rerun after a
crash overwrites the same object instead of leaving a second one.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from reelforge_common.blocking import ProgressSink, run_reporting
from reelforge_common.storage import ObjectStore
from reelforge_common.telemetry import Metrics
from reelforge_pose.analysis import analyse
from reelforge_pose.engine import PoseEngine
from reelforge_pose.store.analyses import AnalysisResult, AnalysisRow
from reelforge_pose.store.assets import AssetVideo
from reelforge_pose.track import PoseTrack
from reelforge_pose.tracking import summarise

# Progress is announced at most this often while the model runs.
PROGRESS_EVERY_S = 2.0
TRACK_CONTENT_TYPE = "application/x-npz"


@dataclass(frozen=True)
class Request:
    tenant_id: str
    asset_id: str
    analysis_id: str
    fps: float
    max_people: int


class Analyser:
    def __init__(self, store_: ObjectStore, engine: PoseEngine, work_dir: Path | None, metrics: Metrics) -> None:
        self._store = store_
        self._engine = engine
        self._work_dir = work_dir
        self._frames = metrics.counter("frames_analysed_total", "Video frames run through the pose model.")
        self._duration = metrics.histogram(
            "analysis_duration_seconds",
            "Pose model time per analysis (decode and landmarks).",
            buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800),
        )

    @property
    def model(self) -> str:
        return self._engine.model_name

    async def run(
        self, request: Request, video: AssetVideo, report: Callable[[float], Awaitable[None]]
    ) -> tuple[PoseTrack, AnalysisResult]:
        """Analyse the asset's proxy and store its track; ``report`` hears the fraction done."""
        with tempfile.TemporaryDirectory(dir=self._work_dir) as folder:
            path = Path(folder) / "proxy.mp4"
            await self._store.download(video.proxy_key, str(path))

            def work(sink: ProgressSink) -> PoseTrack:
                return analyse(
                    self._engine,
                    path,
                    fps=request.fps,
                    max_people=request.max_people,
                    on_progress=lambda done, expected: sink(min(done / expected, 1.0)),
                )

            with self._duration.time():
                track = await run_reporting(work, report=report, every_s=PROGRESS_EVERY_S)
        self._frames.inc(track.frame_count)
        key = self._store.key(request.tenant_id, request.asset_id, f"{request.analysis_id}.npz")
        data = track.to_bytes()
        await self._store.put_stream(key, io.BytesIO(data), content_type=TRACK_CONTENT_TYPE, length=len(data))
        summary = summarise(track)
        return track, AnalysisResult(
            frames_analysed=track.frame_count,
            frames_with_person=summary.frames_with_person,
            mean_visibility=summary.mean_visibility,
            people_seen=summary.people_seen,
            no_person=track.no_person,
            sample_fps=track.fps,
            duration_s=max(video.duration_s, track.frame_count / track.fps),
            width=track.width,
            height=track.height,
            track_key=key,
        )

    async def load(self, row: AnalysisRow) -> PoseTrack:
        return PoseTrack.from_bytes(await self._store.read(row.track_key))
