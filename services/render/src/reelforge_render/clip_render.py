"""One clip through one FFmpeg run (ffmpeg-python graph): a frame-accurate cut
of the local original, reframed, scaled, captions burned in, loudness
corrected, encoded with the export preset. Its thumbnail (the reframed
picture a second in, or half-way through a shorter clip, without captions)
comes from a separate one-frame run, which the caller starts beside the
loudness measurement (one core busy) rather than beside the encode (both): a
second output in the same run slowed the encode by a third.

FFmpeg only ever reads local files (``SAFE_INPUT``): the original ingest
validated, and the command and caption files this service wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg

from reelforge_common.ffmpeg_process import PROGRESS_ARGS, SAFE_INPUT, ProgressCallback, run_ffmpeg
from reelforge_render.encoding import CONTAINER, audio_options, video_options
from reelforge_render.options import ExportSpec
from reelforge_render.reframe import Framing

_BLUR_SIGMA = 30


@dataclass(frozen=True)
class ClipSpec:
    source: Path
    start_s: float
    end_s: float
    # Output size.
    width: int
    height: int
    framing: Framing
    # Written next to the output by the caller: the crop's moves, the captions.
    commands: Path | None
    captions: Path | None
    has_audio: bool
    # Options of the correcting loudnorm pass; None: leave the audio as it is.
    loudnorm: dict[str, object] | None
    export: ExportSpec

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


def _video(spec: ClipSpec, source: Any, *, at_s: float | None = None) -> Any:
    """The picture: reframed, scaled, captioned; ``at_s``: one still frame that
    far into the clip, framed as the clip frames it then, without captions."""
    framing, video = spec.framing, source.video
    if framing.kind == "blurred_pad":
        parts = video.split()
        background = (
            parts[0]
            .filter("scale", spec.width, spec.height, force_original_aspect_ratio="increase")
            .filter("crop", spec.width, spec.height)
            .filter("gblur", sigma=_BLUR_SIGMA)
        )
        picture = parts[1].filter("scale", spec.width, spec.height, force_original_aspect_ratio="decrease")
        video = ffmpeg.overlay(background, picture, x="(W-w)/2", y="(H-h)/2")
    else:
        frame = 0 if at_s is None else min(int(at_s * spec.export.fps), len(framing.x) - 1)
        if framing.kind == "subject" and spec.commands is not None and at_s is None:
            video = video.filter("sendcmd", f=str(spec.commands))
        video = video.filter("crop", framing.crop_w, framing.crop_h, int(framing.x[frame]), int(framing.y[frame]))
        video = video.filter("scale", spec.width, spec.height)
    video = video.filter("setsar", 1)
    if spec.captions is not None and at_s is None:
        video = video.filter("ass", filename=str(spec.captions))
    return video


def command(spec: ClipSpec, output: Path, *, threads: int, speed_preset: str) -> list[str]:
    """The FFmpeg command that renders ``spec`` into ``output``."""
    source = ffmpeg.input(f"file:{spec.source}", ss=f"{spec.start_s:.3f}", t=f"{spec.duration_s:.3f}", **SAFE_INPUT)
    streams = [_video(spec, source)]
    options = {**video_options(spec.export, speed_preset=speed_preset), **CONTAINER}
    if spec.has_audio:
        # Resampled first: loudnorm after a resampler fails to reinitialise on FFmpeg 5.1.
        audio = source.audio.filter("aresample", 48000)
        if spec.loudnorm is not None:
            audio = audio.filter("loudnorm", **spec.loudnorm)
        streams.append(audio)
        options.update(audio_options(spec.export))
    graph = ffmpeg.output(*streams, str(output), **options)
    graph = graph.global_args("-nostdin", "-hide_banner", "-v", "error", "-threads", str(threads), *PROGRESS_ARGS)
    return list(graph.compile(overwrite_output=True))


def thumbnail_command(spec: ClipSpec, output: Path) -> list[str]:
    """A JPEG of the clip's picture a second in (half-way through a shorter clip)."""
    at = min(1.0, spec.duration_s / 2)
    source = ffmpeg.input(f"file:{spec.source}", ss=f"{spec.start_s + at:.3f}", **SAFE_INPUT)
    graph = _video(spec, source, at_s=at).output(str(output), vframes=1, **{"q:v": 3})
    return list(graph.global_args("-nostdin", "-hide_banner", "-v", "error").compile(overwrite_output=True))


async def render(
    spec: ClipSpec,
    output: Path,
    *,
    threads: int,
    speed_preset: str,
    on_progress: ProgressCallback | None = None,
) -> None:
    """The clip into ``output``."""
    await run_ffmpeg(
        command(spec, output, threads=threads, speed_preset=speed_preset),
        timeout_s=120 + 30 * spec.duration_s,
        duration_s=spec.duration_s,
        on_progress=on_progress,
    )


async def thumbnail(spec: ClipSpec, output: Path) -> None:
    """The clip's thumbnail into ``output``."""
    await run_ffmpeg(thumbnail_command(spec, output), timeout_s=60)
