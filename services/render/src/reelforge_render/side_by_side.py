"""A comparison video: the reference and the attempt, time-aligned along the
comparison's alignment path — side by side, or interleaved (a second of the
reference, then the same second of the attempt, full frame) — each with its
subject's skeleton drawn over it, the score and the weakest segment's
feedback written on the picture.

Both videos are decoded by FFmpeg, already scaled and padded to a panel, as
raw RGB frames read in order (the path never goes back in time); each
output frame takes the two frames the path pairs at that moment, the
skeletons are drawn with NumPy, and the pairs go to a second FFmpeg that
writes the text (an ASS overlay) and encodes the result. The output has no
sound: the two performances' sounds would not play together.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reelforge_common.ffmpeg_process import SAFE_INPUT, FFmpegError, ProgressCallback
from reelforge_render.captions import ass_clock, ass_escape

RESOLUTIONS = {"480p": 480, "720p": 720, "1080p": 1080}
LAYOUTS = ("side_by_side", "interleaved")
FORMATS = {"mp4": ("libx264", "mp4"), "webm": ("libvpx-vp9", "webm")}
FPS = 30.0
# Bones between MediaPipe's 33 landmarks (the face left out but for the nose).
BONES = (
    (11, 12), (11, 13), (13, 15), (12, 14), (14, 16), (11, 23), (12, 24), (23, 24),
    (23, 25), (25, 27), (27, 31), (24, 26), (26, 28), (28, 32), (0, 11), (0, 12),
)  # fmt: skip
# The landmarks at the middle of each joint the comparison names.
JOINT_LANDMARKS = {
    "left_elbow": 13, "right_elbow": 14, "left_shoulder": 11, "right_shoulder": 12, "left_hip": 23,
    "right_hip": 24, "left_knee": 25, "right_knee": 26, "trunk": 23,
}  # fmt: skip
REFERENCE_COLOUR = (0, 200, 255)
ATTEMPT_COLOUR = (0, 255, 0)
WEAK_COLOUR = (255, 40, 40)
_MIN_VISIBILITY = 0.5
# Interleaved: output frames of the reference, then as many of the attempt.
_CHUNK = int(FPS)


@dataclass(frozen=True)
class Landmarks:
    """A subject's landmarks per sampled frame: ``points`` (F, 33, 3) as x, y
    in fractions of the frame and visibility; NaN where not seen."""

    times_s: np.ndarray
    points: np.ndarray
    width: int
    height: int

    def at(self, time_s: float) -> np.ndarray | None:
        if not len(self.times_s):
            return None
        index = int(np.clip(np.searchsorted(self.times_s, time_s), 0, len(self.times_s) - 1))
        if index and abs(self.times_s[index - 1] - time_s) < abs(self.times_s[index] - time_s):
            index -= 1
        found: np.ndarray = self.points[index]
        return found


@dataclass(frozen=True)
class Side:
    video: Path
    landmarks: Landmarks
    label: str


@dataclass(frozen=True)
class Weakest:
    """The weakest segment's feedback: its text, the joint, where on the attempt's time line."""

    text: str
    joint: str
    attempt_start_s: float
    attempt_end_s: float


def panel_size(height: int, reference: Landmarks) -> tuple[int, int]:
    """(width, height) of each half: the reference's shape, at most 16:9, even."""
    aspect = min(reference.width / max(reference.height, 1), 16 / 9)
    return max(2, round(height * aspect / 2) * 2), height


def timeline(alignment: Sequence[tuple[float, float]], sample_fps: float) -> list[tuple[float, float]]:
    """(reference_s, attempt_s) for each output frame at ``FPS``: the path's
    steps (one per sampled frame) interpolated."""
    if len(alignment) < 2:
        return list(alignment)
    frames = math.floor((len(alignment) - 1) * FPS / sample_fps) + 1
    steps = np.array(alignment, np.float64)
    positions = np.arange(frames) * sample_fps / FPS
    reference = np.interp(positions, np.arange(len(steps)), steps[:, 0])
    attempt = np.interp(positions, np.arange(len(steps)), steps[:, 1])
    return list(zip(reference.tolist(), attempt.tolist(), strict=True))


def draw_skeleton(
    frame: np.ndarray, points: np.ndarray | None, source: tuple[int, int], colour: tuple[int, int, int],
    weak: int | None = None,
) -> None:  # fmt: skip
    """Draw the subject's bones onto ``frame`` (a panel the source was fitted
    into, centred); bones at the ``weak`` landmark in ``WEAK_COLOUR``."""
    if points is None:
        return
    height, width = frame.shape[:2]
    scale = min(width / source[0], height / source[1])
    shown_w, shown_h = source[0] * scale, source[1] * scale
    left, top = (width - shown_w) / 2, (height - shown_h) / 2
    thickness = max(1, height // 360)
    for start, end in BONES:
        a, b = points[start], points[end]
        if not (a[2] >= _MIN_VISIBILITY and b[2] >= _MIN_VISIBILITY):  # NaN compares False too
            continue
        xa, ya = left + a[0] * shown_w, top + a[1] * shown_h
        xb, yb = left + b[0] * shown_w, top + b[1] * shown_h
        steps = max(2, int(math.hypot(xb - xa, yb - ya) * 2))
        xs = np.linspace(xa, xb, steps).round().astype(int)
        ys = np.linspace(ya, yb, steps).round().astype(int)
        bone_colour = WEAK_COLOUR if weak in (start, end) else colour
        for dy in range(-thickness, thickness + 1):
            for dx in range(-thickness, thickness + 1):
                keep = (xs + dx >= 0) & (xs + dx < width) & (ys + dy >= 0) & (ys + dy < height)
                frame[ys[keep] + dy, xs[keep] + dx] = bone_colour


@dataclass(frozen=True)
class Shot:
    """One output frame: the reference's and/or the attempt's moment shown."""

    reference_s: float | None
    attempt_s: float | None


def shots(frames: Sequence[tuple[float, float]], layout: str) -> list[Shot]:
    """The output frames of ``layout`` for the aligned ``frames``."""
    if layout == "side_by_side":
        return [Shot(reference_s, attempt_s) for reference_s, attempt_s in frames]
    made = []
    for first in range(0, len(frames), _CHUNK):
        chunk = frames[first : first + _CHUNK]
        made += [Shot(reference_s, None) for reference_s, _ in chunk]
        made += [Shot(None, attempt_s) for _, attempt_s in chunk]
    return made


def _spans(flags: Sequence[bool]) -> list[tuple[float, float]]:
    """The output time spans where ``flags`` (one per output frame) hold."""
    spans: list[tuple[float, float]] = []
    for number, flag in enumerate(flags):
        if not flag:
            continue
        if spans and spans[-1][1] == number / FPS:
            spans[-1] = (spans[-1][0], (number + 1) / FPS)
        else:
            spans.append((number / FPS, (number + 1) / FPS))
    return spans


def overlay_document(plan: Sequence[Shot], *, width: int, height: int, score: float, weakest: Weakest | None) -> str:
    """The text drawn on the video (ASS): which side is which, the score, and
    the weakest segment's feedback while the attempt is in that segment."""
    size = max(14, height // 24)
    header = (
        "[Script Info]\nScriptType: v4.00+\n"
        f"PlayResX: {width}\nPlayResY: {height}\nWrapStyle: 0\n\n"
        "[V4+ Styles]\nFormat: Name, Fontname, Fontsize, PrimaryColour, OutlineColour, BackColour, Bold, "
        "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV\n"
        f"Style: Text,DejaVu Sans,{size},&H00FFFFFF,&H00000000,&H80000000,1,1,2,0,8,10,10,10\n\n"
        "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
    )
    margin = size // 2
    events = []

    def line(span: tuple[float, float], x: int, y: int, text: str, align: int = 8) -> None:
        start, end = ass_clock(span[0]), ass_clock(span[1])
        events.append(f"Dialogue: 0,{start},{end},Text,,0,0,0,,{{\\an{align}\\pos({x},{y})}}{ass_escape(text)}\n")

    both = all(shot.reference_s is not None and shot.attempt_s is not None for shot in plan)
    if both:
        line((0.0, len(plan) / FPS), width // 4, margin, "reference")
        line((0.0, len(plan) / FPS), 3 * width // 4, margin, "attempt")
    else:
        for span in _spans([shot.attempt_s is None for shot in plan]):
            line(span, width // 2, margin, "reference")
        for span in _spans([shot.attempt_s is not None for shot in plan]):
            line(span, width // 2, margin, "attempt")
    line((0.0, len(plan) / FPS), width // 2, height - margin, f"score {score:.0f}/100", align=2)
    if weakest is not None:
        for span in _spans([_in_weakest(shot, weakest) for shot in plan]):
            line(span, width // 2, height - margin - size - margin, weakest.text, align=2)
    return header + "".join(events)


def _in_weakest(shot: Shot, weakest: Weakest) -> bool:
    return shot.attempt_s is not None and weakest.attempt_start_s <= shot.attempt_s <= weakest.attempt_end_s


class _Frames:
    """A video's frames, scaled and padded to a panel, at ``FPS``, read in order."""

    def __init__(self, process: asyncio.subprocess.Process, size: tuple[int, int]) -> None:
        self._process = process
        self._bytes = size[0] * size[1] * 3
        self._shape = (size[1], size[0], 3)
        self.index = -1
        self.frame = np.zeros(self._shape, np.uint8)

    @classmethod
    async def open(cls, video: Path, size: tuple[int, int]) -> _Frames:
        width, height = size
        graph = (
            f"fps={FPS},scale={width}:{height}:force_original_aspect_ratio=decrease,"
            f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,format=rgb24"
        )
        args = ["ffmpeg", "-nostdin", "-v", "error"]
        for option, value in SAFE_INPUT.items():
            args += [f"-{option}", value]
        args += ["-i", f"file:{video}", "-map", "0:v:0", "-vf", graph, "-f", "rawvideo", "pipe:1"]
        process = await asyncio.create_subprocess_exec(
            *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
        )
        return cls(process, size)

    async def at(self, index: int) -> np.ndarray:
        """Frame ``index`` (never before the last one asked for); the last frame past the end."""
        assert self._process.stdout is not None
        while self.index < index:
            try:
                data = await self._process.stdout.readexactly(self._bytes)
            except asyncio.IncompleteReadError:
                break
            self.frame = np.frombuffer(data, np.uint8).reshape(self._shape)
            self.index += 1
        return self.frame

    async def close(self) -> None:
        if self._process.returncode is None:
            self._process.kill()
        await self._process.communicate()  # the unread frames drained: wait() alone would never return


async def render(
    reference: Side,
    attempt: Side,
    alignment: Sequence[tuple[float, float]],
    *,
    sample_fps: float,
    score: float,
    weakest: Weakest | None,
    resolution: str,
    container: str,
    output: Path,
    overlay: Path,
    layout: str = "side_by_side",
    on_progress: ProgressCallback | None = None,
) -> float:
    """Write the comparison video into ``output`` (``overlay``: where its text
    document goes); returns its duration in seconds."""
    plan = shots(timeline(alignment, sample_fps), layout)
    if not plan:
        raise FFmpegError("the comparison has no alignment to follow")
    panel = panel_size(RESOLUTIONS[resolution], reference.landmarks)
    width, height = (panel[0] * 2 if layout == "side_by_side" else panel[0]), panel[1]
    weak_landmark = JOINT_LANDMARKS.get(weakest.joint) if weakest is not None else None
    document = overlay_document(plan, width=width, height=height, score=score, weakest=weakest)
    await asyncio.to_thread(overlay.write_text, document, encoding="utf-8")
    codec, muxer = FORMATS[container]
    encode = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24"]
    encode += ["-s", f"{width}x{height}", "-r", f"{FPS}", "-i", "pipe:0", "-vf", f"ass=filename={overlay}"]
    encode += ["-c:v", codec, "-pix_fmt", "yuv420p", "-crf", "23"]
    encode += (
        ["-b:v", "0", "-deadline", "realtime", "-cpu-used", "8"] if codec == "libvpx-vp9" else ["-preset", "veryfast"]
    )
    encode += [*(["-movflags", "+faststart"] if muxer == "mp4" else []), "-f", muxer, str(output)]
    writer = await asyncio.create_subprocess_exec(
        *encode, stdin=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    assert writer.stdin is not None
    assert writer.stderr is not None
    readers = [await _Frames.open(side.video, panel) for side in (reference, attempt)]
    try:
        canvas = np.zeros((height, width, 3), np.uint8)
        for number, shot in enumerate(plan):
            column = 0
            for side, reader, at_s, colour in (
                (reference, readers[0], shot.reference_s, REFERENCE_COLOUR),
                (attempt, readers[1], shot.attempt_s, ATTEMPT_COLOUR),
            ):
                if at_s is None:
                    continue
                area = canvas[:, column * panel[0] : (column + 1) * panel[0]]
                area[:] = await reader.at(round(at_s * FPS))
                weak = weak_landmark if side is attempt and weakest is not None and _in_weakest(shot, weakest) else None
                draw_skeleton(
                    area, side.landmarks.at(at_s), (side.landmarks.width, side.landmarks.height), colour, weak
                )
                column += 1
            writer.stdin.write(canvas.tobytes())
            await writer.stdin.drain()
            if on_progress is not None and number % int(FPS) == 0:
                await on_progress(number / len(plan))
        writer.stdin.close()
        stderr = await writer.stderr.read()
        if await writer.wait() != 0:
            raise FFmpegError(stderr.decode(errors="replace").strip().splitlines()[-1] if stderr else "ffmpeg failed")
    finally:
        for reader in readers:
            await reader.close()
        if writer.returncode is None:
            writer.kill()
            await writer.wait()
    return len(plan) / FPS
