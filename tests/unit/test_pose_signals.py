"""Signals of the main subject: box track, motion energy, joint angles; the track file."""

from __future__ import annotations

import numpy as np
import pytest
from pose_figures import figure, frame, single_track

from reelforge_pose.signals import joint_angles, motion_energy, subject_boxes
from reelforge_pose.skeleton import JOINT_NAMES, LANDMARKS, Landmark
from reelforge_pose.track import PoseTrack
from reelforge_pose.tracking import build_track


def test_short_gaps_are_bridged_long_ones_are_not() -> None:
    seen = [frame(figure(0.5, 0.5, 0.5)) for _ in range(5)]
    track = build_track(
        [*seen, *(frame() for _ in range(4)), *seen, *(frame() for _ in range(15))], fps=10, width=640, height=360
    )
    boxes = subject_boxes(track)
    assert boxes.observed.tolist() == [True] * 5 + [False] * 4 + [True] * 5 + [False] * 15
    assert boxes.present.tolist() == [True] * 14 + [False] * 15
    assert not np.isnan(boxes.boxes[:14]).any()
    assert np.isnan(boxes.boxes[14:]).all()
    x0, y0, x1, y1 = boxes.boxes[0]
    assert x0 < 0.5 < x1
    assert y0 < 0.5 < y1
    assert (x1 - x0) < (y1 - y0)  # a standing figure


def test_the_box_track_is_smoothed() -> None:
    rng = np.random.default_rng(1)
    jitter = [frame(figure(0.5 + rng.normal(0, 0.01), 0.5, 0.5)) for _ in range(60)]
    boxes = subject_boxes(build_track(jitter, fps=10, width=640, height=360)).boxes
    raw_centres = np.array([f.image[0, :, 0].mean() for f in jitter])
    smooth_centres = (boxes[:, 0] + boxes[:, 2]) / 2
    assert np.abs(np.diff(smooth_centres)).mean() < 0.3 * np.abs(np.diff(raw_centres)).mean()


def test_motion_energy_is_high_when_the_subject_moves_and_zero_when_still() -> None:
    still = [frame(figure(0.5, 0.5, 0.5)) for _ in range(20)]
    moving = [frame(figure(0.5 + 0.02 * index, 0.5, 0.5)) for index in range(20)]
    energy = motion_energy(build_track([*still, *moving], fps=10, width=640, height=360), duration_s=4.0)
    assert len(energy) == 4
    assert energy[0] == pytest.approx(0.0, abs=1e-6)
    assert energy[2] > 0.1
    assert energy[3] > 0.1


def _world(**points: tuple[float, float, float]) -> np.ndarray:
    marks = np.zeros((1, LANDMARKS, 4), np.float32)
    marks[..., 3] = 1.0
    for name, point in points.items():
        marks[0, Landmark[name.upper()], :3] = point
    return marks


def test_joint_angles_measure_the_body() -> None:
    body = _world(
        left_shoulder=(0.2, -0.5, 0),
        left_elbow=(0.2, -0.2, 0),
        left_wrist=(0.5, -0.2, 0),  # elbow at 90°
        right_shoulder=(-0.2, -0.5, 0),
        right_elbow=(-0.2, -0.2, 0),
        right_wrist=(-0.2, 0.1, 0),  # straight, down
        left_hip=(0.2, 0, 0),
        right_hip=(-0.2, 0, 0),
        left_knee=(0.2, 0.4, 0),
        right_knee=(-0.1, 0.4, 0),
        left_ankle=(0.2, 0.8, 0),
        right_ankle=(-0.1, 0.8, 0),
    )
    angles = dict(zip(JOINT_NAMES, joint_angles(body)[0], strict=True))
    assert angles["left_elbow"] == pytest.approx(90, abs=1e-3)
    assert angles["right_elbow"] == pytest.approx(180, abs=1e-3)
    assert angles["right_shoulder"] == pytest.approx(0, abs=1e-3)  # arm along the body
    assert angles["left_knee"] == pytest.approx(180, abs=1e-3)
    assert angles["trunk"] == pytest.approx(0, abs=1e-3)
    leaning = body.copy()
    leaning[0, [Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER], 0] += 0.5  # shoulders 0.5 over 0.5 up: 45°
    assert joint_angles(leaning)[0, JOINT_NAMES.index("trunk")] == pytest.approx(45, abs=1e-3)
    hidden = body.copy()
    hidden[0, Landmark.LEFT_WRIST, 3] = 0.1
    assert np.isnan(joint_angles(hidden)[0, JOINT_NAMES.index("left_elbow")])


def test_a_track_survives_its_file_format_and_cuts_to_a_span() -> None:
    world = np.stack([figure(0.5, 0.5, 0.5) for _ in range(30)])
    track = single_track(world)
    again = PoseTrack.from_bytes(track.to_bytes())
    assert (again.fps, again.width, again.height, again.main_person) == (10.0, 640, 360, 0)
    np.testing.assert_allclose(again.image, track.image, atol=1e-3)  # float16 in the file
    np.testing.assert_array_equal(again.person, track.person)
    part = again.between(1.0, 2.0)
    assert part.frame_count == 10
    assert part.times[0] == pytest.approx(1.0)
    assert again.between(2.5, 0).frame_count == 5
