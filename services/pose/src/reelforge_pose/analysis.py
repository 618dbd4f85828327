"""Analysing a video: decode, detect frame by frame, track."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reelforge_pose.engine import Detections, PoseEngine
from reelforge_pose.frames import decode, probe
from reelforge_pose.track import PoseTrack
from reelforge_pose.tracking import build_track

# Called with (frames done, frames expected) as the analysis goes.
ProgressCallback = Callable[[int, int], None]


def effective_fps(requested: float, video_fps: float) -> float:
    """The rate frames are sampled at: the request's, at most the video's own."""
    return min(requested, video_fps) if video_fps > 0 else requested


def analyse(
    engine: PoseEngine,
    path: Path,
    *,
    fps: float,
    max_people: int,
    on_progress: ProgressCallback | None = None,
) -> PoseTrack:
    """The pose track of the (upright, local) video at ``path``, sampled at
    ``fps`` (at most the video's rate). Blocking: run it in a worker thread."""
    geometry = probe(path)
    fps = effective_fps(fps, geometry.fps)
    expected = max(1, round(geometry.duration_s * fps))
    found: list[Detections] = []
    with engine.video(max_people) as session:
        for index, frame in enumerate(decode(path, geometry, fps)):
            found.append(session.detect(frame, round(index * 1000 / fps)))
            if on_progress is not None:
                on_progress(index + 1, expected)
    return build_track(found, fps=fps, width=geometry.width, height=geometry.height)
