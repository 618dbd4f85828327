"""Stick figures with the 33 MediaPipe landmarks, for pose tests."""

from __future__ import annotations

import numpy as np

from reelforge_pose.engine import Detections
from reelforge_pose.skeleton import LANDMARKS, Landmark
from reelforge_pose.track import PoseTrack

# Offsets from the figure's centre, in figure heights (y down), standing with arms down.
_STANDING = {
    Landmark.NOSE: (0.0, -0.45),
    Landmark.LEFT_SHOULDER: (0.12, -0.3),
    Landmark.RIGHT_SHOULDER: (-0.12, -0.3),
    Landmark.LEFT_ELBOW: (0.14, -0.1),
    Landmark.RIGHT_ELBOW: (-0.14, -0.1),
    Landmark.LEFT_WRIST: (0.15, 0.08),
    Landmark.RIGHT_WRIST: (-0.15, 0.08),
    Landmark.LEFT_HIP: (0.08, 0.05),
    Landmark.RIGHT_HIP: (-0.08, 0.05),
    Landmark.LEFT_KNEE: (0.08, 0.28),
    Landmark.RIGHT_KNEE: (-0.08, 0.28),
    Landmark.LEFT_ANKLE: (0.08, 0.5),
    Landmark.RIGHT_ANKLE: (-0.08, 0.5),
}


def figure(cx: float, cy: float, height: float, *, moved: dict[str, tuple[float, float]] | None = None) -> np.ndarray:
    """(33, 4) image landmarks of a standing figure; ``moved`` overrides offsets by landmark name."""
    marks = np.zeros((LANDMARKS, 4), np.float32)
    offsets = {**_STANDING, **{Landmark[name.upper()]: offset for name, offset in (moved or {}).items()}}
    for landmark in Landmark:
        dx, dy = offsets.get(landmark, offsets[Landmark.NOSE] if landmark < 11 else (0.0, 0.5))
        marks[landmark] = (cx + dx * height, cy + dy * height, 0.0, 0.95)
    return marks


def frame(*people: np.ndarray) -> Detections:
    if not people:
        return Detections.empty()
    image = np.stack(people)
    return Detections(image=image, world=image.copy())


def single_track(world: np.ndarray, fps: float = 10.0) -> PoseTrack:
    """A track of one person (id 0) whose world landmarks are ``world`` (F, 33, 4)."""
    count = len(world)
    return PoseTrack(
        times=(np.arange(count) / fps).astype(np.float32),
        image=world[:, None].copy(),
        world=world[:, None].copy(),
        person=np.zeros((count, 1), np.int32),
        fps=fps,
        width=640,
        height=360,
        main_person=0,
    )
