"""One clip through FFmpeg (ffmpeg-python graphs): a frame-accurate cut of
the local original, reframed, scaled, captions burned in, loudness corrected,
encoded with the export preset.

The picture and the sound are encoded by two runs at once and then put
together by a stream copy. In one run FFmpeg filters the audio in the thread
that feeds the video encoder, and the two-pass loudness correction had to
measure before the encode could start; apart, the sound's measuring pass and
its encode fit inside the picture's encode. The thumbnail (the reframed
picture a second in, or half-way through a shorter clip, without captions)
is a third, one-frame run beside them: as a second output of the picture's
run it slowed the encode by a third.

FFmpeg only ever reads local files (``SAFE_INPUT``): the original ingest
validated, and the command, caption and intermediate files this service wrote.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg

from reelforge_common.ffmpeg_process import PROGRESS_ARGS, SAFE_INPUT, ProgressCallback, run_ffmpeg
from reelforge_render import loudness
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
    # Integrated loudness of the sound, LUFS (EBU R128).
    loudness_lufs: float
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


def picture_command(spec: ClipSpec, output: Path, *, threads: int, speed_preset: str, final: bool) -> list[str]:
    """The FFmpeg command that encodes ``spec``'s picture alone into ``output``
    (``final``: the clip itself, which has no sound, with ``+faststart``)."""
    source = ffmpeg.input(f"file:{spec.source}", ss=f"{spec.start_s:.3f}", t=f"{spec.duration_s:.3f}", **SAFE_INPUT)
    container = CONTAINER if final else {"f": "mp4"}
    graph = ffmpeg.output(
        _video(spec, source), str(output), **video_options(spec.export, speed_preset=speed_preset), **container
    )
    graph = graph.global_args("-nostdin", "-hide_banner", "-v", "error", "-threads", str(threads), *PROGRESS_ARGS)
    return list(graph.compile(overwrite_output=True))


def sound_command(spec: ClipSpec, output: Path, loudnorm: dict[str, object] | None) -> list[str]:
    """The FFmpeg command that encodes ``spec``'s sound alone into ``output``,
    corrected by ``loudnorm`` (None: left as it is)."""
    source = ffmpeg.input(f"file:{spec.source}", ss=f"{spec.start_s:.3f}", t=f"{spec.duration_s:.3f}", **SAFE_INPUT)
    # Resampled first: loudnorm after a resampler fails to reinitialise on FFmpeg 5.1.
    audio = source.audio.filter("aresample", 48000)
    if loudnorm is not None:
        audio = audio.filter("loudnorm", **loudnorm)
    graph = ffmpeg.output(audio, str(output), **audio_options(spec.export), f="mp4")
    return list(graph.global_args("-nostdin", "-hide_banner", "-v", "error").compile(overwrite_output=True))


def mux_command(picture: Path, sound: Path, output: Path) -> list[str]:
    """The FFmpeg command that puts the encoded picture and sound into ``output``, unchanged."""
    video = ffmpeg.input(f"file:{picture}", **SAFE_INPUT).video
    audio = ffmpeg.input(f"file:{sound}", **SAFE_INPUT).audio
    graph = ffmpeg.output(video, audio, str(output), c="copy", **CONTAINER)
    return list(graph.global_args("-nostdin", "-hide_banner", "-v", "error").compile(overwrite_output=True))


def thumbnail_command(spec: ClipSpec, output: Path) -> list[str]:
    """A JPEG of the clip's picture a second in (half-way through a shorter clip)."""
    at = min(1.0, spec.duration_s / 2)
    source = ffmpeg.input(f"file:{spec.source}", ss=f"{spec.start_s + at:.3f}", **SAFE_INPUT)
    graph = _video(spec, source, at_s=at).output(str(output), vframes=1, **{"q:v": 3})
    return list(graph.global_args("-nostdin", "-hide_banner", "-v", "error").compile(overwrite_output=True))


async def render(
    spec: ClipSpec,
    output: Path,
    still: Path,
    *,
    threads: int,
    speed_preset: str,
    on_progress: ProgressCallback | None = None,
) -> None:
    """The clip into ``output`` and its thumbnail into ``still``; progress is the picture's."""
    limit = 120 + 30 * spec.duration_s
    thumbnail = run_ffmpeg(thumbnail_command(spec, still), timeout_s=60)
    if not spec.has_audio:
        command = picture_command(spec, output, threads=threads, speed_preset=speed_preset, final=True)
        encode = run_ffmpeg(command, timeout_s=limit, duration_s=spec.duration_s, on_progress=on_progress)
        await _together(encode, thumbnail)
        return
    picture, sound = output.with_suffix(".picture.mp4"), output.with_suffix(".sound.m4a")
    command = picture_command(spec, picture, threads=threads, speed_preset=speed_preset, final=False)
    encode = run_ffmpeg(command, timeout_s=limit, duration_s=spec.duration_s, on_progress=on_progress)
    await _together(encode, _sound(spec, sound, timeout_s=limit), thumbnail)
    await run_ffmpeg(mux_command(picture, sound, output), timeout_s=60 + spec.duration_s)
    picture.unlink()
    sound.unlink()


async def _sound(spec: ClipSpec, output: Path, *, timeout_s: float) -> None:
    """The sound measured, then encoded with the loudness correction."""
    measured = await loudness.measure(
        spec.source, start_s=spec.start_s, duration_s=spec.duration_s, lufs=spec.loudness_lufs
    )
    correction = None if measured is None else loudness.second_pass(measured, spec.loudness_lufs)
    await run_ffmpeg(sound_command(spec, output, correction), timeout_s=timeout_s)


async def _together(*runs: Awaitable[object]) -> None:
    """Await ``runs`` at once; the first failure stops (kills) the others and is raised."""
    tasks = [asyncio.ensure_future(run) for run in runs]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
