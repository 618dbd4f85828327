"""Comparing an attempt with a reference movement (the Movie Mimic flow).

Each movement is the main subject's joint-angle series from world landmarks:
angles do not depend on where the person stands or how large they appear,
and world landmarks give roughly the same angles from any camera. The
attempt is aligned to the reference by DTW within a band (local tempo
changes are forgiven, wandering off is not), once as it is and once
mirrored (left and right swapped, for someone facing the reference like a
mirror); the better alignment counts.

A pair of aligned frames costs the root mean square of its joints' angle
differences beyond a tolerance (``tolerance_deg``: what two cameras disagree
on for the same pose). Scores map a mean cost c to 100 * exp(-c / scale):
100 for a perfect match. The reference's time line is cut into segments,
each scored, and names the joints that differ most beyond the tolerance,
which way and when; a segment scoring under ``weak_score`` is weak.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy.ndimage import median_filter

from reelforge_pose.alignment import PairCost, dtw
from reelforge_pose.signals import frames_in, joint_angles
from reelforge_pose.skeleton import JOINT_NAMES, JOINTS, MIRROR, TRUNK, mirrored_joint
from reelforge_pose.track import PoseTrack

# A joint whose angle is unknown in one of two frames costs this much.
_UNKNOWN_COST = 45.0
_SMOOTHING_S = 0.3
_FEEDBACK_PER_SEGMENT = 2


@dataclass(frozen=True)
class ComparisonConfig:
    tolerance_deg: float = 15.0
    scale_deg: float = 20.0
    band: float = 0.1
    segment_s: float = 1.0
    weak_score: float = 70.0


@dataclass(frozen=True)
class Movement:
    """The main subject's (n, 9) joint angles (``JOINT_NAMES`` order) at ``times``."""

    times: np.ndarray
    angles: np.ndarray

    def __len__(self) -> int:
        return len(self.times)


class NoPersonError(Exception):
    """A movement has no frame with the person in it."""


def movement(track: PoseTrack, *, mirror: bool = False) -> Movement:
    """The subject's movement in ``track``; ``mirror`` swaps left and right."""
    _image, world = track.subject()
    seen = ~np.isnan(world[:, 0, 0])
    if not seen.any():
        raise NoPersonError("no person in the frames compared")
    landmarks = world[seen]
    if mirror:
        landmarks = landmarks[:, list(MIRROR)] * np.array([-1.0, 1.0, 1.0, 1.0], np.float32)
    # World landmarks are estimated even where hidden: their angles are used,
    # and a median over a few frames removes one-frame glitches.
    angles = joint_angles(landmarks, min_visibility=0.0)
    window = min(frames_in(_SMOOTHING_S, track.fps) | 1, len(angles))
    angles = median_filter(angles, size=(window, 1), mode="nearest")
    return Movement(times=track.times[seen].astype(np.float64), angles=angles)


def pair_cost(tolerance_deg: float) -> PairCost:
    """The cost of pairs of frames: RMS over joints of the angle differences beyond the tolerance."""

    def cost(reference: torch.Tensor, attempts: torch.Tensor) -> torch.Tensor:
        beyond = torch.clamp((reference[None] - attempts).abs() - tolerance_deg, min=0.0)
        beyond = torch.nan_to_num(beyond, nan=_UNKNOWN_COST)
        return torch.sqrt((beyond * beyond).mean(dim=-1))

    return cost


@dataclass(frozen=True)
class Feedback:
    joint: str
    direction: str
    degrees: float
    attempt_start_s: float
    attempt_end_s: float
    reference_start_s: float
    reference_end_s: float
    text: str


@dataclass(frozen=True)
class Segment:
    reference_start_s: float
    reference_end_s: float
    attempt_start_s: float
    attempt_end_s: float
    score: float
    weak: bool
    # Attempt minus reference, degrees, by joint (the attempt's joints' names).
    differences: dict[str, float]
    feedback: list[Feedback] = field(default_factory=list)


@dataclass(frozen=True)
class Result:
    score: float
    mirrored: bool
    segments: list[Segment]
    # (reference time, attempt time) along the alignment path.
    alignment: list[tuple[float, float]]
    # Attempt duration over reference duration.
    tempo_ratio: float

    @property
    def feedback(self) -> list[Feedback]:
        return [item for segment in self.segments for item in segment.feedback]


def score_of(cost: float, scale_deg: float) -> float:
    return 100.0 * math.exp(-cost / scale_deg)


def clock(seconds: float) -> str:
    """0:03, 1:02:05."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def describe(
    joint: str, difference: float, attempt_span: tuple[float, float], reference_span: tuple[float, float]
) -> Feedback:
    """Feedback on the attempt's ``joint`` being ``difference`` degrees
    (attempt minus reference) off over ``attempt_span``."""
    if joint == TRUNK:
        verb, more = "leans", difference > 0
    else:
        spec = next(j for j in JOINTS if j.name == joint)
        verb, more = spec.verb, (difference < 0) == spec.closes
    direction = "more" if more else "less"
    start, end = attempt_span
    text = (
        f"{joint.replace('_', ' ')} {verb} {abs(difference):.0f}° {direction} than the reference"
        f" at {clock(start)}\N{EN DASH}{clock(math.ceil(end))}"
    )
    return Feedback(joint, direction, round(abs(difference), 1), start, end, *reference_span, text)


def _segment_feedback(
    differences: dict[str, float],
    config: ComparisonConfig,
    attempt: tuple[float, float],
    reference: tuple[float, float],
) -> list[Feedback]:
    """The (at most two) joints of a segment that differ most, beyond the tolerance."""
    worst = sorted(differences.items(), key=lambda item: -abs(item[1]))[:_FEEDBACK_PER_SEGMENT]
    return [
        describe(joint, difference, attempt, reference)
        for joint, difference in worst
        if abs(difference) > config.tolerance_deg
    ]


def _segments(
    reference: Movement,
    attempt: Movement,
    path: np.ndarray,
    costs: np.ndarray,
    *,
    mirrored: bool,
    config: ComparisonConfig,
) -> list[Segment]:
    start, end = float(reference.times[0]), float(reference.times[-1])
    step = 1.0 / max(len(reference) - 1, 1) * (end - start) if len(reference) > 1 else 0.0
    duration = end - start + step
    count = max(1, round(duration / config.segment_s))
    edges = start + duration * np.arange(count + 1) / count
    ref_times, att_times = reference.times[path[:, 0]], attempt.times[path[:, 1]]
    names = [mirrored_joint(name) if mirrored else name for name in JOINT_NAMES]
    segments = []
    for index in range(count):
        inside = (ref_times >= edges[index] - 1e-9) & (ref_times < edges[index + 1] - 1e-9)
        if index == count - 1:
            inside |= ref_times >= edges[index]
        if not inside.any():
            continue
        pairs = path[inside]
        delta = attempt.angles[pairs[:, 1]] - reference.angles[pairs[:, 0]]
        known = ~np.isnan(delta)
        means = np.where(known.any(axis=0), np.nansum(delta, axis=0) / np.maximum(known.sum(axis=0), 1), np.nan)
        differences = {name: round(float(v), 1) for name, v in zip(names, means, strict=True) if not np.isnan(v)}
        score = score_of(float(costs[inside].mean()), config.scale_deg)
        ref_span = (float(ref_times[inside].min()), float(ref_times[inside].max()))
        att_span = (float(att_times[inside].min()), float(att_times[inside].max()))
        weak = score < config.weak_score
        segments.append(
            Segment(
                reference_start_s=ref_span[0],
                reference_end_s=ref_span[1],
                attempt_start_s=att_span[0],
                attempt_end_s=att_span[1],
                score=round(score, 1),
                weak=weak,
                differences=differences,
                feedback=_segment_feedback(differences, config, att_span, ref_span),
            )
        )
    return segments


def compare(reference: PoseTrack, attempt: PoseTrack, *, config: ComparisonConfig, device: torch.device) -> Result:
    """Score ``attempt`` against ``reference`` (tracks already cut to the spans compared)."""
    ref = movement(reference)
    plain, mirror = movement(attempt), movement(attempt, mirror=True)
    cost = pair_cost(config.tolerance_deg)
    first = torch.as_tensor(ref.angles, dtype=torch.float32, device=device)
    second = torch.as_tensor(np.stack([plain.angles, mirror.angles]), dtype=torch.float32, device=device)
    alignments = dtw(first, second, cost, band=config.band)
    mirrored = alignments[1].mean < alignments[0].mean
    chosen, moved = (alignments[1], mirror) if mirrored else (alignments[0], plain)
    path = chosen.path
    with torch.inference_mode():
        costs = cost(first[path[:, 0]], second[int(mirrored)][path[:, 1]][None])[0].cpu().numpy()
    durations = [max(float(m.times[-1] - m.times[0]), 1.0 / reference.fps) for m in (ref, moved)]
    return Result(
        score=round(score_of(float(costs.mean()), config.scale_deg), 1),
        mirrored=mirrored,
        segments=_segments(ref, moved, path, costs, mirrored=mirrored, config=config),
        alignment=[(float(ref.times[i]), float(moved.times[j])) for i, j in path],
        tempo_ratio=round(durations[1] / durations[0], 3),
    )
