"""Scores, mirroring, segments and feedback of comparisons, on synthetic movements."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from pose_figures import figure, single_track

from reelforge_pose.comparison import ComparisonConfig, NoPersonError, clock, compare, describe
from reelforge_pose.skeleton import JOINT_NAMES
from reelforge_pose.track import PoseTrack

CPU = torch.device("cpu")
DASH = "\N{EN DASH}"
CONFIG = ComparisonConfig()


def raising(side: str, peak_deg: float, frames: int = 30) -> PoseTrack:
    """A person raising one arm sideways to ``peak_deg`` and lowering it again."""
    sign = 1 if side == "left" else -1
    shoulder_x, shoulder_y = 0.12 * sign, -0.3
    poses = []
    for index in range(frames):
        angle = math.radians(peak_deg * math.sin(math.pi * index / (frames - 1)))
        dx, dy = sign * math.sin(angle), math.cos(angle)
        arm = {
            f"{side}_elbow": (shoulder_x + 0.19 * dx, shoulder_y + 0.19 * dy),
            f"{side}_wrist": (shoulder_x + 0.38 * dx, shoulder_y + 0.38 * dy),
        }
        poses.append(figure(0.0, 0.0, 1.0, moved=arm))
    return single_track(np.stack(poses))


def squatting(frames: int = 30) -> PoseTrack:
    poses = []
    for index in range(frames):
        depth = 0.15 * math.sin(math.pi * index / (frames - 1))
        knees = {"left_knee": (0.08 + depth, 0.28), "right_knee": (-0.08 - depth, 0.28)}
        poses.append(figure(0.0, 0.0, 1.0, moved=knees))
    return single_track(np.stack(poses))


def test_a_movement_compared_with_itself_scores_100() -> None:
    result = compare(raising("left", 90), raising("left", 90), config=CONFIG, device=CPU)
    assert result.score == 100.0
    assert not result.mirrored
    assert all(segment.score == 100.0 and not segment.weak for segment in result.segments)
    assert result.feedback == []
    assert result.tempo_ratio == pytest.approx(1.0)


def test_a_mirror_image_is_recognised_and_a_slower_attempt_forgiven() -> None:
    mirrored = compare(raising("left", 90), raising("right", 90), config=CONFIG, device=CPU)
    assert mirrored.mirrored
    assert mirrored.score == pytest.approx(100.0)
    slower = compare(raising("left", 90), raising("left", 90, frames=60), config=CONFIG, device=CPU)
    assert slower.score == pytest.approx(100.0, abs=1.0)
    assert slower.tempo_ratio == pytest.approx(2.0, rel=0.05)


def test_a_smaller_movement_gets_feedback_naming_the_joint_the_direction_and_the_time() -> None:
    result = compare(raising("left", 90), raising("left", 30), config=CONFIG, device=CPU)
    assert result.score < 90
    weak = [segment for segment in result.segments if segment.weak]
    assert weak
    item = weak[0].feedback[0]
    assert (item.joint, item.direction) == ("left_shoulder", "less")
    assert item.degrees > CONFIG.tolerance_deg
    assert item.text.startswith(f"left shoulder lifts the arm {item.degrees:.0f}° less than the reference at 0:0")
    assert weak[0].differences["left_shoulder"] < 0


def test_a_different_movement_scores_clearly_lower_than_a_similar_one() -> None:
    similar = compare(raising("left", 90), raising("left", 75), config=CONFIG, device=CPU)
    different = compare(raising("left", 90), squatting(), config=CONFIG, device=CPU)
    assert similar.score - different.score > 20


def test_segments_cover_the_reference_time_line_in_order() -> None:
    result = compare(raising("left", 90, frames=44), raising("left", 60, frames=40), config=CONFIG, device=CPU)
    assert len(result.segments) == 4  # 4.4 s in segments of about a second
    starts = [segment.reference_start_s for segment in result.segments]
    assert starts == sorted(starts)
    assert starts[0] == 0.0
    assert result.segments[-1].reference_end_s == pytest.approx(4.3)
    path = np.array(result.alignment)
    assert (np.diff(path, axis=0) >= 0).all()


def test_nobody_on_one_side_cannot_be_compared() -> None:
    empty = raising("left", 90)
    empty = PoseTrack(empty.times, empty.image * np.nan, empty.world * np.nan, empty.person * 0 - 1, 10.0, 640, 360, -1)
    with pytest.raises(NoPersonError):
        compare(raising("left", 90), empty, config=CONFIG, device=CPU)


@pytest.mark.parametrize(
    ("joint", "difference", "expected"),
    [
        ("left_knee", 25.0, f"left knee bends 25° less than the reference at 0:03{DASH}0:05"),
        ("right_elbow", -30.0, f"right elbow bends 30° more than the reference at 0:03{DASH}0:05"),
        ("left_shoulder", 20.0, f"left shoulder lifts the arm 20° more than the reference at 0:03{DASH}0:05"),
        ("trunk", 12.4, f"trunk leans 12° more than the reference at 0:03{DASH}0:05"),
    ],
)
def test_feedback_wording(joint: str, difference: float, expected: str) -> None:
    assert joint in JOINT_NAMES
    assert describe(joint, difference, (3.2, 4.6), (1.0, 2.0)).text == expected


def test_clock() -> None:
    assert [clock(s) for s in (0, 3.9, 62, 3725)] == ["0:00", "0:03", "1:02", "1:02:05"]
