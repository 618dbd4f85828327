"""Derivatives of an asset, made by FFmpeg in two runs.

A fast-seeking run grabs the thumbnail; one decoding pass then writes
everything else at once (split filter): the low-resolution constant-frame-rate
proxy that pose analysis reads, the filmstrip (evenly spaced frames tiled
into one JPEG) and the 16 kHz mono WAV that speech recognition reads. A still
image gets its thumbnail only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg

from reelforge.events.v1.asset_pb2 import MediaInfo
from reelforge_common.ffmpeg_process import PROGRESS_ARGS, SAFE_INPUT, FFmpegError, run_ffmpeg
from reelforge_ingest.refusals import RefusedError

ProgressCallback = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class DerivativeSpec:
    thumbnail_width: int
    filmstrip_frames: int
    filmstrip_frame_width: int
    proxy_max_side: int
    proxy_fps: float
    threads: int = 0


# Object names of the derivatives, and their content types.
CONTENT_TYPES = {
    "thumbnail.jpg": "image/jpeg",
    "filmstrip.jpg": "image/jpeg",
    "audio.wav": "audio/wav",
    "proxy.mp4": "video/mp4",
}


async def make_derivatives(
    source: Path, info: MediaInfo, out_dir: Path, spec: DerivativeSpec, on_progress: ProgressCallback
) -> dict[str, Path]:
    """Write the derivatives ``info`` calls for into ``out_dir``; returns
    them by name (``thumbnail``, ``filmstrip``, ``audio``, ``proxy``)."""
    made: dict[str, Path] = {}
    source_input = ffmpeg.input(f"file:{source}", **SAFE_INPUT)
    if info.is_image:
        made["thumbnail"] = out_dir / "thumbnail.jpg"
        thumbnail = source_input.video.filter("scale", f"min({spec.thumbnail_width},iw)", -2)
        await _run(thumbnail.output(str(made["thumbnail"]), vframes=1, **{"q:v": 3}), spec.threads, timeout_s=60.0)
        return made
    if info.has_video:
        made["thumbnail"] = out_dir / "thumbnail.jpg"
        at = min(1.0, info.duration_s * 0.1)
        thumbnail = (
            ffmpeg.input(f"file:{source}", ss=f"{at:.3f}", **SAFE_INPUT)
            .video.filter("scale", spec.thumbnail_width, -2)
            .output(str(made["thumbnail"]), vframes=1, **{"q:v": 3})
        )
        await _run(thumbnail, spec.threads, timeout_s=120.0)
    outputs = []
    if info.has_video:
        made["proxy"], made["filmstrip"] = out_dir / "proxy.mp4", out_dir / "filmstrip.jpg"
        split = source_input["v:0"].split()
        proxy = (
            split[0]
            .filter("fps", fps=spec.proxy_fps)
            .filter(
                "scale",
                w=f"min({spec.proxy_max_side},iw)",
                h=f"min({spec.proxy_max_side},ih)",
                force_original_aspect_ratio="decrease",
            )
            .filter("scale", "trunc(iw/2)*2", "trunc(ih/2)*2")
        )
        outputs.append(
            proxy.output(str(made["proxy"]), vcodec="libx264", preset="veryfast", crf=28, pix_fmt="yuv420p", g=30)
        )
        every = max(info.duration_s, 0.001) / spec.filmstrip_frames
        strip = (
            split[1]
            .filter("fps", fps=f"1/{every:.6f}", start_time=0)
            .filter("scale", spec.filmstrip_frame_width, -2)
            .filter("tile", f"{spec.filmstrip_frames}x1")
        )
        outputs.append(strip.output(str(made["filmstrip"]), vframes=1, **{"q:v": 4}))
    if info.has_audio:
        made["audio"] = out_dir / "audio.wav"
        outputs.append(source_input["a:0"].output(str(made["audio"]), ac=1, ar=16000, acodec="pcm_s16le"))
    await _run(
        ffmpeg.merge_outputs(*outputs),
        spec.threads,
        timeout_s=120.0 + 4 * info.duration_s,
        duration_s=info.duration_s,
        on_progress=on_progress,
    )
    return made


async def _run(
    stream: Any,
    threads: int,
    *,
    timeout_s: float,
    duration_s: float = 0.0,
    on_progress: ProgressCallback | None = None,
) -> None:
    """Run an ffmpeg-python graph; decoding errors are fatal (``-xerror``)."""
    args = (
        stream.global_args("-nostdin", "-hide_banner", "-v", "error", "-xerror", "-threads", str(threads))
        .global_args(*PROGRESS_ARGS)
        .compile(overwrite_output=True)
    )
    try:
        await run_ffmpeg(args, timeout_s=timeout_s, duration_s=duration_s, on_progress=on_progress)
    except FFmpegError as exc:
        raise RefusedError("media_unreadable", f"the media could not be decoded: {exc}") from None
