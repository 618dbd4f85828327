"""The real PoseLandmarker (offline model) on the shared still portraits, and model resolution."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from reelforge_pose.engine import EngineConfig, PoseEngine
from reelforge_pose.models import ModelUnavailableError, resolve_model
from reelforge_pose.skeleton import Landmark

IMAGES = Path(__file__).resolve().parents[2].parent / "shared" / "media" / "images"


@pytest.fixture(scope="module")
def engine() -> PoseEngine:
    return PoseEngine(EngineConfig())


def rgb(path: Path) -> np.ndarray:
    """The image as an (h, w, 3) RGB array, decoded by FFmpeg (no image library needed)."""
    probe = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=width,height",
            "-of",
            "csv=p=0",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    width, height = (int(v) for v in probe.stdout.strip().split(","))
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, np.uint8).reshape(height, width, 3)


@pytest.mark.parametrize("name", ["astronaut.png", "grace_hopper.jpg"])
def test_the_upper_body_in_a_portrait_is_found(engine: PoseEngine, name: str) -> None:
    with engine.video(max_people=2) as session:
        found = session.detect(rgb(IMAGES / name), 0)
    assert found.image.shape[0] == 1, "one person"
    marks = found.image[0]
    shoulders = marks[[Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]]
    assert (shoulders[:, 3] > 0.8).all(), "both shoulders are visible"
    assert marks[Landmark.NOSE, 3] > 0.8
    assert marks[Landmark.NOSE, 1] < shoulders[:, 1].min(), "the head is above the shoulders"
    assert ((shoulders[:, :2] > 0) & (shoulders[:, :2] < 1)).all(), "the shoulders are in the picture"
    # The person faces the camera: their left shoulder is on the picture's right.
    assert shoulders[0, 0] > shoulders[1, 0]
    assert found.world.shape == (1, 33, 4)


def test_an_empty_picture_has_nobody(engine: PoseEngine) -> None:
    with engine.video(max_people=2) as session:
        assert session.detect(np.full((240, 320, 3), 128, np.uint8), 0).image.shape == (0, 33, 4)


def test_the_model_is_offline_and_a_wrong_path_is_a_clear_error(tmp_path: Path) -> None:
    assert resolve_model("full").name == "pose_landmarker_full.task"
    with pytest.raises(ModelUnavailableError, match="is not a file"):
        resolve_model(str(tmp_path / "heavy.task"))
