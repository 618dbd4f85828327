"""Signals other services use, derived from a pose track's main subject:
its box through time (who to keep in frame), motion energy per second (when
the action is) and joint-angle series (how the body moves)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d, median_filter

from reelforge_pose.skeleton import BODY, JOINT_NAMES, JOINTS, Landmark
from reelforge_pose.track import PoseTrack
from reelforge_pose.tracking import VISIBLE, person_boxes

# A subject unseen for at most this long is bridged (its box interpolated).
BRIDGE_S = 1.0
# Smoothing of the box: a median over this window removes one-frame glitches,
# then a Gaussian of this standard deviation removes jitter.
_MEDIAN_S = 0.3
_SIGMA_S = 0.25
# Space added around the landmarks' extent, as a fraction of the box (the
# landmarks are joints, not the body's outline; the head reaches above the eyes).
_MARGIN = 0.12
_HEAD_ROOM = 0.1


@dataclass(frozen=True)
class SubjectBoxes:
    """Per sampled frame: x0, y0, x1, y1 in fractions of the frame (NaN where
    not present), whether the subject was seen, whether there is a box."""

    boxes: np.ndarray
    observed: np.ndarray
    present: np.ndarray


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each run of True."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return [(int(a), int(b)) for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True)]


def frames_in(seconds: float, fps: float) -> int:
    return max(1, round(seconds * fps))


def subject_boxes(track: PoseTrack) -> SubjectBoxes:
    """The main subject's box per frame: padded, bridged over short gaps and smoothed."""
    image, _world = track.subject()
    count = track.frame_count
    observed = ~np.isnan(image[:, 0, 0])
    boxes = np.full((count, 4), np.nan)
    if observed.any():
        raw = person_boxes(image[observed]).astype(np.float64)
        width, height = raw[:, 2] - raw[:, 0], raw[:, 3] - raw[:, 1]
        raw[:, 0] -= _MARGIN * width
        raw[:, 2] += _MARGIN * width
        raw[:, 1] -= (_MARGIN + _HEAD_ROOM) * height
        raw[:, 3] += _MARGIN * height
        boxes[observed] = np.clip(raw, 0.0, 1.0)
    present = observed.copy()
    bridge = frames_in(BRIDGE_S, track.fps)
    for start, end in runs(~observed):
        if start > 0 and end < count and end - start <= bridge:
            present[start:end] = True
            steps = np.arange(1, end - start + 1)[:, None] / (end - start + 1)
            boxes[start:end] = boxes[start - 1] + steps * (boxes[end] - boxes[start - 1])
    for start, end in runs(present):
        run = median_filter(boxes[start:end], size=(min(frames_in(_MEDIAN_S, track.fps), end - start), 1))
        boxes[start:end] = gaussian_filter1d(run, _SIGMA_S * track.fps, axis=0, mode="nearest")
    return SubjectBoxes(boxes=boxes, observed=observed, present=present)


def motion_energy(track: PoseTrack, duration_s: float) -> np.ndarray:
    """The main subject's mean body speed in each whole second of the media, in
    body heights per second (0 where the subject is not seen moving)."""
    image, _world = track.subject()
    seconds = max(1, int(np.ceil(max(duration_s, track.frame_count / track.fps) - 1e-9)))
    energy = np.zeros(seconds)
    if track.frame_count < 2:
        return energy
    body = image[:, list(BODY)]
    points = body[:, :, :2] * np.array([track.width, track.height])
    rows = points[:, :, 1]
    extent = np.where(np.isnan(rows), -np.inf, rows).max(axis=1) - np.where(np.isnan(rows), np.inf, rows).min(axis=1)
    steps = np.linalg.norm(points[1:] - points[:-1], axis=2)  # pixels per frame, per joint
    visible = (body[1:, :, 3] >= VISIBLE) & (body[:-1, :, 3] >= VISIBLE)
    speed = np.where(visible, steps / np.fmax(extent[1:], 1.0)[:, None] * track.fps, 0.0)
    counted = visible.sum(axis=1)
    moving = counted > 0
    per_frame = speed.sum(axis=1)[moving] / counted[moving]
    second_of = np.minimum(track.times[1:][moving].astype(int), seconds - 1)
    totals = np.bincount(second_of, weights=per_frame, minlength=seconds)
    frames = np.bincount(second_of, minlength=seconds)
    np.divide(totals, frames, out=energy, where=frames > 0)
    return energy


def _angle(first: np.ndarray, vertex: np.ndarray, second: np.ndarray) -> np.ndarray:
    u, v = first - vertex, second - vertex
    with np.errstate(all="ignore"):
        cos = (u * v).sum(axis=-1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1))
    angle: np.ndarray = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
    return angle


def joint_angles(landmarks: np.ndarray, *, min_visibility: float = VISIBLE) -> np.ndarray:
    """(F, 9) angles in degrees, columns in ``JOINT_NAMES`` order, from (F, 33, 4)
    landmarks (world landmarks give angles that hold from any camera). A joint
    whose landmarks are less visible than ``min_visibility`` is NaN.

    Elbows and knees: 180 straight, smaller as they bend. Shoulders: 0 with
    the arm along the body, 90 raised level. Hips: 180 standing, smaller as
    the thigh comes forward. Trunk: the lean from vertical.
    """
    points, visibility = landmarks[..., :3], landmarks[..., 3]
    columns = []
    for joint in JOINTS:
        marks = [joint.first, joint.vertex, joint.second]
        angle = _angle(points[:, joint.first], points[:, joint.vertex], points[:, joint.second])
        columns.append(np.where((visibility[:, marks] >= min_visibility).all(axis=1), angle, np.nan))
    hips = (points[:, Landmark.LEFT_HIP] + points[:, Landmark.RIGHT_HIP]) / 2
    shoulders = (points[:, Landmark.LEFT_SHOULDER] + points[:, Landmark.RIGHT_SHOULDER]) / 2
    # y grows downwards in image and world landmarks alike: "up" is -y.
    columns.append(_angle(shoulders, hips, hips - np.array([0.0, 1.0, 0.0])))
    angles = np.stack(columns, axis=1)
    assert angles.shape[1] == len(JOINT_NAMES)
    return angles
