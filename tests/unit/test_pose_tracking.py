"""Who is who across frames, and the main subject."""

from __future__ import annotations

import numpy as np
from pose_figures import figure, frame

from reelforge_pose.skeleton import MIRROR
from reelforge_pose.tracking import build_track, summarise


def test_two_people_keep_their_identities_whatever_order_the_landmarker_returns_them() -> None:
    frames = []
    for index in range(30):
        walker = figure(0.8 - 0.015 * index, 0.6, 0.5)  # large, central, walking left
        bystander = figure(0.1, 0.3, 0.2)  # small, in a corner
        frames.append(frame(walker, bystander) if index % 2 else frame(bystander, walker))
    track = build_track(frames, fps=10, width=640, height=360)
    assert len(track.people()) == 2
    image, _world = track.subject()
    xs = image[:, 0, 0]
    assert not np.isnan(xs).any()
    assert (np.diff(xs) < 0).all(), "the main subject is the walker, followed every frame"
    assert summarise(track).people_seen == 2


def test_a_duplicate_skeleton_even_left_right_swapped_is_one_person() -> None:
    frames = []
    for index in range(10):
        person = figure(0.5 + 0.01 * index, 0.5, 0.6)
        swapped = person[list(MIRROR)] + np.float32(0.004)
        frames.append(frame(person, swapped))
    track = build_track(frames, fps=10, width=640, height=360)
    assert len(track.people()) == 1
    assert track.image.shape[1] == 1


def test_a_flicker_is_not_a_person_and_an_empty_video_has_nobody() -> None:
    frames = [frame(figure(0.5, 0.5, 0.6)) for _ in range(10)]
    frames[4] = frame(figure(0.5, 0.5, 0.6), figure(0.1, 0.2, 0.3))
    track = build_track(frames, fps=10, width=640, height=360)
    assert len(track.people()) == 1
    nobody = build_track([frame() for _ in range(5)], fps=10, width=640, height=360)
    assert nobody.no_person
    assert summarise(nobody).frames_with_person == 0


def test_someone_gone_for_longer_than_a_second_comes_back_as_someone_new() -> None:
    seen = [frame(figure(0.3, 0.5, 0.5)) for _ in range(5)]
    track = build_track([*seen, *(frame() for _ in range(15)), *seen], fps=10, width=640, height=360)
    assert len(track.people()) == 2
    short_gap = build_track([*seen, *(frame() for _ in range(5)), *seen], fps=10, width=640, height=360)
    assert len(short_gap.people()) == 1
