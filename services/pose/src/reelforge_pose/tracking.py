"""Who is who across frames, and who the main subject is.

The landmarker returns each frame's people in no stable order, sometimes
twice (two near-identical skeletons) and sometimes a fleeting false one.
Per frame, duplicates are dropped; people are then matched to the tracks of
the previous frames by box overlap and distance (Hungarian assignment), a
track surviving gaps of up to a second. The main subject is the track with
the most presence: box size, closeness to the centre and visibility, summed
over the frames it is seen in, so a long, large, central person wins over a
brief or marginal one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from reelforge_pose.engine import Detections
from reelforge_pose.skeleton import BODY, LANDMARKS, MIRROR
from reelforge_pose.track import PoseTrack

VISIBLE = 0.5
# A track not seen for this long ends; someone appearing later is someone new.
_MAX_GAP_S = 1.0
# Two skeletons are one person when they are this close (mean landmark
# distance over box height), or their boxes overlap this much, or one box
# lies this much inside the other while the skeletons are roughly alike.
_DUPLICATE_DISTANCE = 0.12
_DUPLICATE_IOU = 0.6
_DUPLICATE_INSIDE = 0.8
_ALIKE_DISTANCE = 0.4
# A person matches a track when the boxes overlap this much, or their centres
# are within this many box heights.
_MATCH_IOU = 0.1
_MATCH_DISTANCE = 0.75
# Tracks seen for less than this are flickers, not people.
_MIN_TRACK_S = 0.3


def person_boxes(image: np.ndarray) -> np.ndarray:
    """(k, 4) boxes x0, y0, x1, y1 in fractions of the frame around each
    person's visible body landmarks (all landmarks when too few are visible)."""
    boxes = np.zeros((image.shape[0], 4), np.float32)
    for index, marks in enumerate(image):
        seen = marks[marks[:, 3] >= VISIBLE]
        points = seen if len(seen) >= 3 else marks
        low, high = points[:, :2].min(axis=0), points[:, :2].max(axis=0)
        boxes[index] = np.clip([low[0], low[1], high[0], high[1]], 0.0, 1.0)
    return boxes


def iou(a: np.ndarray, b: np.ndarray) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def inside(a: np.ndarray, b: np.ndarray) -> float:
    """How much of the smaller box lies inside the larger, 0 to 1."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return float(width * height / smaller) if smaller > 0 else 0.0


def _duplicates(image: np.ndarray, boxes: np.ndarray, one: int, other: int) -> bool:
    """Whether two skeletons of a frame are one person seen twice (the
    landmarker's second guess is sometimes the first one left-right swapped)."""
    body, swapped = list(BODY), [MIRROR[i] for i in BODY]
    spread = min(
        float(np.linalg.norm(image[one, body, :2] - image[other, marks, :2], axis=1).mean())
        for marks in (body, swapped)
    ) / _height(boxes[other])
    return (
        spread < _DUPLICATE_DISTANCE
        or iou(boxes[one], boxes[other]) > _DUPLICATE_IOU
        or (inside(boxes[one], boxes[other]) > _DUPLICATE_INSIDE and spread < _ALIKE_DISTANCE)
    )


def _centre(box: np.ndarray) -> np.ndarray:
    return np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])


def _height(box: np.ndarray) -> float:
    return max(float(box[3] - box[1]), 1e-3)


def distinct_people(image: np.ndarray, boxes: np.ndarray) -> list[int]:
    """Indices of the people in one frame, duplicates dropped (the more visible one kept)."""
    body = list(BODY)
    order = np.argsort(-image[:, body, 3].mean(axis=1), kind="stable")
    kept: list[int] = []
    for index in order:
        if not any(_duplicates(image, boxes, int(index), other) for other in kept):
            kept.append(int(index))
    return kept


@dataclass
class _Track:
    id: int
    box: np.ndarray
    last_frame: int
    frames: int = 0
    presence: float = 0.0

    def observe(self, frame: int, box: np.ndarray, visibility: float) -> None:
        self.box, self.last_frame = box, frame
        self.frames += 1
        self.presence += _presence(box, visibility)


def _presence(box: np.ndarray, visibility: float) -> float:
    """One frame's weight of a person for being the main subject."""
    area = float((box[2] - box[0]) * (box[3] - box[1]))
    off_centre = float(np.linalg.norm(_centre(box) - 0.5))
    centrality = max(0.2, 1.0 - 1.2 * off_centre)
    return float(np.sqrt(area)) * centrality * max(visibility, 0.05)


class Tracker:
    """Assigns each frame's people to tracks."""

    def __init__(self, fps: float) -> None:
        self._max_gap = max(1, round(_MAX_GAP_S * fps))
        self._tracks: list[_Track] = []
        self._next_id = 0

    def update(self, frame: int, boxes: np.ndarray, visibility: np.ndarray) -> list[int]:
        """Track ids of the people in ``frame``, in the order of ``boxes``."""
        live = [track for track in self._tracks if frame - track.last_frame <= self._max_gap]
        ids = [-1] * len(boxes)
        if live and len(boxes):
            cost = np.full((len(live), len(boxes)), np.inf)
            for row, candidate in enumerate(live):
                for col, box in enumerate(boxes):
                    overlap = iou(candidate.box, box)
                    distance = float(np.linalg.norm(_centre(candidate.box) - _centre(box))) / _height(candidate.box)
                    if overlap >= _MATCH_IOU or distance <= _MATCH_DISTANCE:
                        cost[row, col] = (1.0 - overlap) + distance
            finite = np.where(np.isfinite(cost), cost, 1e6)
            for row, col in zip(*linear_sum_assignment(finite), strict=True):
                if np.isfinite(cost[row, col]):
                    ids[col] = live[row].id
        by_id = {candidate.id: candidate for candidate in live}
        for col, box in enumerate(boxes):
            track: _Track | None = by_id.get(ids[col])
            if track is None:
                track = _Track(self._next_id, box, frame)
                self._next_id += 1
                self._tracks.append(track)
                ids[col] = track.id
            track.observe(frame, box, float(visibility[col]))
        return ids

    def people(self, fps: float, frame_count: int) -> list[int]:
        """Tracks that lasted long enough to be people, not flickers."""
        least = max(1, min(round(_MIN_TRACK_S * fps), frame_count))
        return [track.id for track in self._tracks if track.frames >= least]

    def main_person(self, people: Sequence[int]) -> int:
        candidates = [track for track in self._tracks if track.id in set(people)]
        if not candidates:
            return -1
        return max(candidates, key=lambda track: (track.presence, -track.id)).id


@dataclass(frozen=True)
class TrackSummary:
    people_seen: int
    frames_with_person: int
    mean_visibility: float


def build_track(frames: Sequence[Detections], *, fps: float, width: int, height: int) -> PoseTrack:
    """The track of a video from its frames' detections."""
    tracker = Tracker(fps)
    kept: list[tuple[Detections, list[int], list[int]]] = []
    for index, found in enumerate(frames):
        boxes = person_boxes(found.image)
        distinct = distinct_people(found.image, boxes)
        visibility = found.image[distinct][:, list(BODY), 3].mean(axis=1) if distinct else np.zeros(0)
        ids = tracker.update(index, boxes[distinct], visibility)
        kept.append((found, distinct, ids))
    people = tracker.people(fps, len(frames))
    main = tracker.main_person(people)
    slots = max((len(distinct) for _found, distinct, _ids in kept), default=0) or 1
    count = len(frames)
    image = np.full((count, slots, LANDMARKS, 4), np.nan, np.float32)
    world = image.copy()
    person = np.full((count, slots), -1, np.int32)
    real = set(people)
    for row, (found, distinct, ids) in enumerate(kept):
        slot = 0
        for index, track_id in zip(distinct, ids, strict=True):
            if track_id not in real:
                continue
            image[row, slot], world[row, slot], person[row, slot] = found.image[index], found.world[index], track_id
            slot += 1
    times = (np.arange(count, dtype=np.float64) / fps).astype(np.float32)
    return PoseTrack(times, image, world, person, fps, width, height, main)


def summarise(track: PoseTrack) -> TrackSummary:
    image, _world = track.subject()
    seen = ~np.isnan(image[:, 0, 0])
    visibility = float(np.nanmean(image[seen][:, list(BODY), 3])) if seen.any() else 0.0
    return TrackSummary(people_seen=len(track.people()), frames_with_person=int(seen.sum()), mean_visibility=visibility)
