"""The frames of a comparison video (no FFmpeg run)."""

from __future__ import annotations

import numpy as np
import pytest

from reelforge_render.side_by_side import FPS, Weakest, draw_skeleton, overlay_document, shots, timeline


def test_the_alignment_is_interpolated_to_the_output_rate() -> None:
    frames = timeline([(0.0, 0.0), (0.1, 0.1), (0.2, 0.1)], sample_fps=10)
    assert len(frames) == 7  # 0.2 s at 30 frames a second, both ends
    assert frames[3] == pytest.approx((0.1, 0.1))
    assert frames[-1] == pytest.approx((0.2, 0.1))  # the attempt holds while the reference catches up


def test_interleaving_shows_a_second_of_each_in_turn() -> None:
    frames = [(k / FPS, k / FPS) for k in range(45)]
    side = shots(frames, "side_by_side")
    assert len(side) == 45
    assert all(s.reference_s is not None and s.attempt_s is not None for s in side)
    turns = shots(frames, "interleaved")
    assert len(turns) == 90
    assert [s.attempt_s is None for s in turns[:30]] == [True] * 30
    assert [s.reference_s is None for s in turns[30:60]] == [True] * 30
    assert turns[60].reference_s == pytest.approx(1.0)


def test_the_weakest_feedback_shows_while_the_attempt_is_in_it() -> None:
    plan = shots([(k / FPS, k / FPS) for k in range(60)], "interleaved")
    weakest = Weakest("left knee bends less", "left_knee", 0.5, 1.0)
    document = overlay_document(plan, width=400, height=720, score=80, weakest=weakest)
    feedback = [line for line in document.splitlines() if "left knee" in line]
    assert len(feedback) == 2  # in the attempt's first turn (0.5-1.0 s → 1.5-2.0 s) and its second (1.0 s → 3.0 s)
    assert feedback[0].startswith("Dialogue: 0,0:00:01.50,0:00:02.00")


def test_bones_are_drawn_where_both_ends_are_seen() -> None:
    frame = np.zeros((100, 100, 3), np.uint8)
    points = np.full((33, 3), np.nan, np.float32)
    points[11], points[13] = (0.2, 0.2, 0.9), (0.8, 0.8, 0.9)  # the left upper arm, seen
    points[12], points[14] = (0.8, 0.2, 0.1), (0.2, 0.8, 0.9)  # the right one: a shoulder barely visible
    draw_skeleton(frame, points, (100, 100), (0, 255, 0), weak=13)
    assert (frame[50, 50] == (255, 40, 40)).all()  # the weak joint's bone, in red
    assert not frame[20, 80].any()  # nothing drawn from an unseen landmark
