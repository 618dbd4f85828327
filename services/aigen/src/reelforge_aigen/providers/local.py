"""The local provider: procedural video made by FFmpeg, offline, for free.

It is not a generative model and says so: every frame carries the label
"procedural preview (local provider)". With a first-frame or character
image it is a slow camera push over that image; without one, moving colour
gradients; the prompt is drawn as text either way, with a silent audio
track, so the result sequences like any other clip.
"""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import ffmpeg

from reelforge_aigen.providers.base import ModelSpec, Outcome, VideoJob, generation_failed
from reelforge_common.ffmpeg_process import IMAGE_DEMUXERS, FFmpegError, run_ffmpeg

MODEL = "procedural-v1"
MODELS = {
    MODEL: ModelSpec(
        name=MODEL,
        min_s=1.0,
        max_s=30.0,
        resolutions=("480p", "720p", "1080p"),
        aspects=("16:9", "9:16", "1:1"),
        accepts_image=True,
        accepts_character=True,
    )
}
LABEL = "procedural preview (local provider)"
_FPS = 25
_IMAGE_DEMUXERS = ",".join(sorted(IMAGE_DEMUXERS))
_SHORT_SIDE = {"480p": 480, "720p": 720, "1080p": 1080}
_RATIO = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1)}


def frame_size(resolution: str, aspect: str) -> tuple[int, int]:
    """Width and height: the resolution names the short side, both even."""
    short, (w, h) = _SHORT_SIDE[resolution], _RATIO[aspect]
    if w >= h:
        return round(short * w / h / 2) * 2, short
    return short, round(short * h / w / 2) * 2


def _colours(job: VideoJob) -> tuple[str, str]:
    """Two colours from the prompt and seed: the same request looks the same."""
    digest = hashlib.sha256(f"{job.prompt}\0{job.seed}".encode()).hexdigest()
    return f"0x{digest[:6]}", f"0x{digest[6:12]}"


class LocalProvider:
    name = "local"
    procedural = True
    default_model = MODEL
    models = MODELS

    def __init__(self, *, threads: int = 0) -> None:
        self._threads = threads

    async def submit(self, job: VideoJob, dest: Path) -> Outcome:
        width, height = frame_size(job.resolution, job.aspect)
        frames = max(1, round(job.duration_s * _FPS))
        image = job.first_frame or job.character
        if image is not None:
            still = dest.with_suffix(".image")
            still.write_bytes(image.data)
            zoom = f"min(1+0.15*on/{frames},1.15)"
            picture = (
                ffmpeg.input(f"file:{still}", protocol_whitelist="file", format_whitelist=_IMAGE_DEMUXERS)
                .filter("scale", width * 2, height * 2, force_original_aspect_ratio="increase")
                .filter("crop", width * 2, height * 2)
                .filter(
                    "zoompan",
                    z=zoom,
                    x="iw/2-(iw/zoom/2)",
                    y="ih/2-(ih/zoom/2)",
                    d=frames,
                    s=f"{width}x{height}",
                    fps=_FPS,
                )
            )
        else:
            first, second = _colours(job)
            picture = ffmpeg.input(
                f"gradients=s={width}x{height}:c0={first}:c1={second}:speed=0.02:rate={_FPS}:duration={job.duration_s}",
                f="lavfi",
            )
        caption = dest.with_suffix(".txt")
        caption.write_text(textwrap.fill(job.prompt, width=max(16, width // 28)) or " ")
        size = max(16, height // 22)
        video = (
            picture.filter("trim", end_frame=frames)
            .filter("format", "yuv420p")
            .drawtext(
                textfile=str(caption), font="DejaVu Sans", fontsize=size, fontcolor="white", borderw=2,
                bordercolor="black@0.6", x="(w-text_w)/2", y="(h-text_h)/2", line_spacing=size // 3,
            )
            .drawtext(
                text=LABEL, font="DejaVu Sans", fontsize=max(12, size * 2 // 3), fontcolor="white@0.85",
                box=1, boxcolor="black@0.5", boxborderw=6, x="(w-text_w)/2", y="h-text_h-h/20",
            )
        )  # fmt: skip
        silence = ffmpeg.input("anullsrc=channel_layout=stereo:sample_rate=48000", f="lavfi")
        args = (
            ffmpeg.output(
                video, silence, str(dest), vcodec="libx264", preset="veryfast", crf=23, pix_fmt="yuv420p",
                acodec="aac", audio_bitrate="64k", t=f"{frames / _FPS:.3f}", movflags="+faststart", f="mp4",
            )
            .global_args("-nostdin", "-hide_banner", "-v", "error", "-threads", str(self._threads))
            .compile(overwrite_output=True)
        )  # fmt: skip
        try:
            await run_ffmpeg(args, timeout_s=120.0 + 10 * job.duration_s)
        except FFmpegError as exc:
            raise generation_failed(f"the local provider could not render: {exc}") from None
        finally:
            caption.unlink(missing_ok=True)
            dest.with_suffix(".image").unlink(missing_ok=True)
        return Outcome(video=dest, cost_micros=0)

    async def poll(self, task_id: str, dest: Path) -> Outcome:
        raise generation_failed("the local provider has no tasks to poll")

    async def close(self) -> None:
        return None
