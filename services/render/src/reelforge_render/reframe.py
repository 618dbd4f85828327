"""Reframing to the target aspect: a virtual camera that follows the main subject.

The crop keeps the source's full height (or width) and slides across it. The
camera holds still while the subject stays inside a dead zone around the
frame's centre and only moves when they leave it, then the path is smoothed
(Gaussian, sigma 0.6 s), so a speaker who sways does not make the picture
wobble. With nobody in frame for most of the clip the frame falls back to a
centred crop, or, where a narrow crop would cut most of a wide picture, to
the whole picture over a blurred copy of itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter1d

from reelforge_render.options import ASPECTS

_DEAD_ZONE = 0.12  # of the crop's width (or height)
_SMOOTH_S = 0.6
_MIN_PRESENT = 0.5  # of the clip's samples, to follow the subject at all
_PAD_BELOW = 0.8  # a crop narrower than this part of the source falls back to the blurred pad


@dataclass(frozen=True)
class SubjectTrack:
    """Where the main subject is, in fractions of the (upright) frame: box centres per sample."""

    times: np.ndarray
    centre_x: np.ndarray
    centre_y: np.ndarray
    present: np.ndarray

    @classmethod
    def empty(cls) -> SubjectTrack:
        nothing = np.zeros(0)
        return cls(nothing, nothing, nothing, nothing.astype(bool))


@dataclass(frozen=True)
class Framing:
    """How a clip is framed: ``kind`` subject, centre or blurred_pad; the crop's
    size; and its top-left corner at times from the clip's start (subject)."""

    kind: str
    crop_w: int
    crop_h: int
    times: np.ndarray
    x: np.ndarray
    y: np.ndarray

    def commands(self) -> str:
        """The crop's moves as an FFmpeg ``sendcmd`` script (one line per change)."""
        lines, last = [], (-1, -1)
        for t, x, y in zip(self.times, self.x, self.y, strict=True):
            if (int(x), int(y)) != last:
                lines.append(f"{t:.3f} crop x {int(x)}, crop y {int(y)};")
                last = (int(x), int(y))
        return "\n".join(lines) + "\n"

    def write_commands(self, path: Path) -> Path:
        path.write_text(self.commands())
        return path


def _even(value: float) -> int:
    return max(2, int(value) // 2 * 2)


def crop_size(width: int, height: int, aspect: str) -> tuple[int, int]:
    """The largest crop of the target aspect inside a width x height frame."""
    across, down = ASPECTS[aspect]
    if width * down > height * across:
        return _even(height * across / down), _even(height)
    return _even(width), _even(width * down / across)


def _camera(targets: np.ndarray, span: float, limit_low: float, limit_high: float) -> np.ndarray:
    """Centre positions that move only when the target leaves the dead zone."""
    dead = _DEAD_ZONE * span
    position = float(np.clip(targets[0], limit_low, limit_high))
    path = np.empty(len(targets))
    for index, target in enumerate(targets):
        offset = target - position
        if abs(offset) > dead:
            position += offset - np.sign(offset) * dead
        position = float(np.clip(position, limit_low, limit_high))
        path[index] = position
    return path


def _filled(values: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Absent samples interpolated between the present ones (held at the ends)."""
    index = np.arange(len(values))
    filled: np.ndarray = np.interp(index, index[present], values[present])
    return filled


def plan_framing(
    track: SubjectTrack, *, width: int, height: int, aspect: str, start_s: float, end_s: float, fps: float
) -> Framing:
    """The framing of the clip [start_s, end_s] of a width x height source."""
    crop_w, crop_h = crop_size(width, height, aspect)
    frame_times = np.arange(0.0, max(end_s - start_s, 1.0 / fps), 1.0 / fps)

    def still(kind: str) -> Framing:
        x = np.full(1, (width - crop_w) // 2)
        y = np.full(1, (height - crop_h) // 2)
        return Framing(kind, crop_w, crop_h, np.zeros(1), x, y)

    if crop_w >= width - 1 and crop_h >= height - 1:
        return still("centre")  # the source already has the target's shape
    inside = (track.times >= start_s - 1.0) & (track.times <= end_s + 1.0)
    during = (track.times >= start_s) & (track.times <= end_s)
    seen = track.present[during]
    if not len(seen) or seen.mean() < _MIN_PRESENT:
        return still("blurred_pad" if crop_w < _PAD_BELOW * width else "centre")
    times, present = track.times[inside], track.present[inside]
    step = float(np.median(np.diff(times))) if len(times) > 1 else 1.0

    def follow(centres: np.ndarray, size: int, span: int) -> np.ndarray:
        targets = _filled(centres[inside] * span, present)
        path = _camera(targets, size, size / 2, span - size / 2)
        if len(path) > 1:
            path = gaussian_filter1d(path, _SMOOTH_S / step, mode="nearest")
        left = np.interp(frame_times + start_s, times, path) - size / 2
        corner: np.ndarray = np.clip(np.round(left), 0, span - size)
        return corner

    x = follow(track.centre_x, crop_w, width) if crop_w < width else np.zeros(len(frame_times))
    y = follow(track.centre_y, crop_h, height) if crop_h < height else np.zeros(len(frame_times))
    return Framing("subject", crop_w, crop_h, frame_times, x, y)
