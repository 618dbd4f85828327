"""A sequence of clips joined into one video by one FFmpeg run (ffmpeg-python
graph): every clip normalised to the export's picture and sound, then joined
with cuts, crossfades or fades through black.

Normalising a clip: cut to its trim, scaled to fit the frame and padded
(letterbox or pillarbox), square pixels, the export's frame rate, yuv420p;
the sound resampled to 48 kHz stereo. Each stream is then held to exactly the
clip's length (the last picture repeated, silence added, the excess cut), so
the joins land where the arithmetic says; a clip without sound gets silence.
A transition of ``d`` seconds overlaps the two clips it joins (``xfade`` for
the picture, ``acrossfade`` for the sound), so the sequence lasts the sum of
the clips less the sum of the transitions.

FFmpeg reads the tenant's files only through ``SAFE_INPUT``; the silence is
FFmpeg's own ``anullsrc`` source.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg

from reelforge_common.ffmpeg_process import PROGRESS_ARGS, SAFE_INPUT

TRANSITIONS = {"cut": "", "crossfade": "fade", "fade_to_black": "fadeblack"}
QUALITIES = ("low", "medium", "high", "lossless")
VIDEO_CODECS = ("h264", "h265", "av1")
AUDIO_CODECS = {"aac": "aac", "opus": "libopus"}
# Constant quality per codec and quality name; None: the encoder's lossless mode.
_CRF: dict[str, dict[str, int | None]] = {
    "h264": {"low": 28, "medium": 23, "high": 18, "lossless": None},
    "h265": {"low": 32, "medium": 28, "high": 22, "lossless": None},
    "av1": {"low": 45, "medium": 35, "high": 27},
    "vp9": {"low": 40, "medium": 33, "high": 25},
}
_ENCODERS = {"h264": "libx264", "h265": "libx265", "av1": "libsvtav1", "vp9": "libvpx-vp9"}
_SAMPLE_RATE = 48000


@dataclass(frozen=True)
class Piece:
    """One clip of the sequence: ``duration_s`` of ``source`` from ``start_s``."""

    source: Path
    start_s: float
    duration_s: float
    has_audio: bool


@dataclass(frozen=True)
class Transition:
    """How a clip joins the next: ``cut``, ``crossfade`` or ``fade_to_black``."""

    kind: str = "cut"
    duration_s: float = 0.0

    @property
    def overlaps(self) -> bool:
        return self.kind != "cut" and self.duration_s > 0


@dataclass(frozen=True)
class Output:
    width: int
    height: int
    fps: float
    codec: str = "h264"
    quality: str = "medium"
    audio: bool = True
    audio_codec: str = "aac"
    audio_bitrate_kbps: int = 128
    # "mp4" or "webm" (vp9 with opus).
    container: str = "mp4"


def length(durations: Sequence[float], transitions: Sequence[Transition]) -> float:
    """Seconds of the joined sequence of clips of ``durations``."""
    return sum(durations) - sum(t.duration_s for t in transitions if t.overlaps)


def problems(durations: Sequence[float], transitions: Sequence[Transition]) -> list[str]:
    """Why clips of ``durations`` cannot be joined with ``transitions``, one
    per join (none: they can)."""
    if len(transitions) != max(len(durations) - 1, 0):
        return [f"{len(durations)} clips need {max(len(durations) - 1, 0)} transitions, not {len(transitions)}"]
    found = []
    overlaps = [0.0, *(t.duration_s if t.overlaps else 0.0 for t in transitions), 0.0]
    for index, duration in enumerate(durations):
        if overlaps[index] + overlaps[index + 1] >= duration:
            found.append(
                f"clip {index + 1} lasts {duration:.2f} s, not longer than its transitions "
                f"({overlaps[index] + overlaps[index + 1]:.2f} s)"
            )
    return found


def _picture(stream: Any, piece: Piece, out: Output) -> Any:
    return (
        stream.filter("scale", out.width, out.height, force_original_aspect_ratio="decrease")
        .filter("pad", out.width, out.height, "(ow-iw)/2", "(oh-ih)/2")
        .filter("setsar", 1)
        .filter("fps", out.fps)
        .filter("format", "yuv420p")
        .filter("tpad", stop_mode="clone", stop_duration=piece.duration_s)
        .filter("trim", duration=piece.duration_s)
        .filter("setpts", "PTS-STARTPTS")
        .filter("settb", "AVTB")
    )


def _sound(stream: Any, piece: Piece) -> Any:
    return (
        stream.filter("aresample", _SAMPLE_RATE)
        .filter("aformat", sample_fmts="fltp", channel_layouts="stereo")
        .filter("apad", whole_dur=piece.duration_s)
        .filter("atrim", duration=piece.duration_s)
        .filter("asetpts", "PTS-STARTPTS")
    )


def _copies(stream: Any, count: int, splitter: str) -> list[Any]:
    """``count`` streams of what ``stream`` carries (``split`` or ``asplit`` when more than one)."""
    if count == 1:
        return [stream]
    node = stream.filter_multi_output(splitter, count)
    return [node[index] for index in range(count)]


def _normalised(pieces: Sequence[Piece], out: Output) -> list[tuple[Any, Any]]:
    """Each piece's picture and sound, normalised. A piece that appears more
    than once (a duplicated clip) is decoded once and split, as is the
    silence of one length: FFmpeg graphs take each source once."""
    distinct = list(dict.fromkeys(pieces))
    silences = Counter(piece.duration_s for piece in distinct if not piece.has_audio)
    silence = {
        duration: _copies(
            ffmpeg.input(f"anullsrc=r={_SAMPLE_RATE}:cl=stereo:d={duration:.6f}", f="lavfi").audio, count, "asplit"
        )
        for duration, count in silences.items()
    }
    uses = Counter(pieces)
    copies: dict[Piece, list[tuple[Any, Any]]] = {}
    for piece in distinct:
        source = ffmpeg.input(
            f"file:{piece.source}", ss=f"{piece.start_s:.6f}", t=f"{piece.duration_s + 1:.6f}", **SAFE_INPUT
        )
        sound = source.audio if piece.has_audio else silence[piece.duration_s].pop()
        pictures = _copies(_picture(source.video, piece, out), uses[piece], "split")
        sounds = _copies(_sound(sound, piece), uses[piece], "asplit")
        copies[piece] = list(zip(pictures, sounds, strict=True))
    return [copies[piece].pop() for piece in pieces]


def _joined(pieces: Sequence[Piece], transitions: Sequence[Transition], out: Output) -> tuple[Any, Any]:
    """The sequence's picture and sound streams."""
    streams = _normalised(pieces, out)
    if not any(t.overlaps for t in transitions):
        joined = ffmpeg.concat(*[s for pair in streams for s in pair], v=1, a=1).node
        return joined[0], joined[1]
    (picture, sound), elapsed = streams[0], pieces[0].duration_s
    for transition, piece, (next_picture, next_sound) in zip(transitions, pieces[1:], streams[1:], strict=True):
        if transition.overlaps:
            offset = elapsed - transition.duration_s
            picture = ffmpeg.filter(
                [picture, next_picture],
                "xfade",
                transition=TRANSITIONS[transition.kind],
                duration=transition.duration_s,
                offset=f"{offset:.6f}",
            )
            sound = ffmpeg.filter([sound, next_sound], "acrossfade", d=transition.duration_s)
            elapsed += piece.duration_s - transition.duration_s
        else:
            joined = ffmpeg.concat(picture, sound, next_picture, next_sound, v=1, a=1).node
            picture, sound = joined[0].filter("settb", "AVTB"), joined[1]
            elapsed += piece.duration_s
    return picture, sound


def video_options(out: Output, *, speed_preset: str) -> dict[str, Any]:
    crf = _CRF[out.codec][out.quality]
    options: dict[str, Any] = {"vcodec": _ENCODERS[out.codec], "pix_fmt": "yuv420p", "r": out.fps}
    if out.codec == "av1":
        return {**options, "preset": 10, "crf": crf}
    if out.codec == "vp9":
        return {**options, "crf": crf, "b:v": 0, "deadline": "realtime", "cpu-used": 8, "row-mt": 1}
    options["preset"] = speed_preset
    if out.codec == "h265":
        options["tag:v"] = "hvc1"
        if crf is None:
            return {**options, "x265-params": "lossless=1"}
    return {**options, "crf": 0 if crf is None else crf}


def command(
    pieces: Sequence[Piece],
    transitions: Sequence[Transition],
    out: Output,
    output: Path,
    *,
    threads: int,
    speed_preset: str,
    metadata: Mapping[str, str] | None = None,
) -> list[str]:
    """The FFmpeg command that joins ``pieces`` into ``output`` (MP4 with
    ``+faststart``, or WebM), with ``metadata`` as the file's tags (title, comment...)."""
    picture, sound = _joined(pieces, transitions, out)
    container = {"movflags": "+faststart", "f": "mp4"} if out.container == "mp4" else {"f": "webm"}
    options = {**video_options(out, speed_preset=speed_preset), **container}
    streams = [picture]
    if out.audio:
        streams.append(sound)
        options.update(
            {"acodec": AUDIO_CODECS[out.audio_codec], "b:a": f"{out.audio_bitrate_kbps}k", "ar": _SAMPLE_RATE}
        )
    graph = ffmpeg.output(*streams, str(output), **options)
    graph = graph.global_args("-nostdin", "-hide_banner", "-v", "error", "-threads", str(threads), *PROGRESS_ARGS)
    args = list(graph.compile(overwrite_output=True))
    tags = [arg for key, value in (metadata or {}).items() for arg in ("-metadata", f"{key}={value}")]
    at = len(args) - 1 - args[::-1].index(str(output))  # output options go before the output's name
    return [*args[:at], *tags, *args[at:]]
