"""MediaPipe Tasks PoseLandmarker in VIDEO running mode.

One landmarker per video: VIDEO mode tracks people from frame to frame and
needs strictly increasing timestamps, so a session is never shared between
videos (or threads).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import mediapipe as mp
import numpy as np
from mediapipe.tasks.python import BaseOptions, vision

from reelforge_pose.models import resolve_model
from reelforge_pose.skeleton import LANDMARKS


@dataclass(frozen=True)
class EngineConfig:
    model: str = "full"
    min_detection_confidence: float = 0.5
    min_presence_confidence: float = 0.5
    min_tracking_confidence: float = 0.5


@dataclass(frozen=True)
class Detections:
    """The people found in one frame, in the landmarker's order.

    ``image``: (people, 33, 4) x and y in fractions of the frame, z (depth,
    about the scale of x), visibility 0..1. ``world``: (people, 33, 4) metres
    from the centre of the hips, and visibility.
    """

    image: np.ndarray
    world: np.ndarray

    @classmethod
    def empty(cls) -> Detections:
        nothing = np.zeros((0, LANDMARKS, 4), np.float32)
        return cls(nothing, nothing)


def _array(landmarks: list[Any]) -> np.ndarray:
    return np.array(
        [(mark.x, mark.y, mark.z, mark.visibility if mark.visibility is not None else 0.0) for mark in landmarks],
        np.float32,
    )


class VideoSession:
    """Landmarks frame by frame through one video."""

    def __init__(self, landmarker: vision.PoseLandmarker) -> None:
        self._landmarker = landmarker

    def detect(self, frame: np.ndarray, timestamp_ms: int) -> Detections:
        """People in ``frame`` (an (h, w, 3) RGB uint8 array) shown at ``timestamp_ms``."""
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(frame))
        result = self._landmarker.detect_for_video(image, timestamp_ms)
        if not result.pose_landmarks:
            return Detections.empty()
        return Detections(
            image=np.stack([_array(pose) for pose in result.pose_landmarks]),
            world=np.stack([_array(pose) for pose in result.pose_world_landmarks]),
        )


class PoseEngine:
    """The configured model, ready to open a session per video."""

    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self.model_path = resolve_model(config.model)
        self.model_name = config.model
        self._model = self.model_path.read_bytes()

    def check(self) -> None:
        """Open a session once, so a model or runtime that cannot load fails now, not in a job."""
        with self.video(1) as session:
            session.detect(np.zeros((64, 64, 3), np.uint8), 0)

    @contextmanager
    def video(self, max_people: int) -> Iterator[VideoSession]:
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_buffer=self._model),
            running_mode=vision.RunningMode.VIDEO,
            num_poses=max_people,
            min_pose_detection_confidence=self.config.min_detection_confidence,
            min_pose_presence_confidence=self.config.min_presence_confidence,
            min_tracking_confidence=self.config.min_tracking_confidence,
        )
        with vision.PoseLandmarker.create_from_options(options) as landmarker:
            yield VideoSession(landmarker)
