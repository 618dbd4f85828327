"""ffprobe, locked down: local files only, a whitelist of demuxers, limits.

Nothing FFmpeg opens for a tenant may reach the network or another file:
``-protocol_whitelist file`` allows the input file alone, and the demuxer
whitelist leaves out every playlist and concat demuxer (hls, dash, concat,
image sequences...), whatever the sniffing missed.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from reelforge.events.v1.asset_pb2 import MediaInfo
from reelforge_common.ffmpeg_process import IMAGE_DEMUXERS, SAFE_INPUT
from reelforge_ingest.refusals import RefusedError

_PROBE_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Limits:
    """What an asset may be: the service's limits and the tenant's quota."""

    max_width: int
    max_height: int
    max_fps: float
    max_duration_s: float
    max_streams: int
    quota_duration_s: float = 0.0  # 0: no tenant quota


async def probe(path: str, limits: Limits) -> MediaInfo:
    """Probe the file at ``path``; refuse it if unreadable or over a limit."""
    args = ["ffprobe", "-v", "error", "-hide_banner"]
    for option, value in SAFE_INPUT.items():
        args += [f"-{option}", value]
    args += ["-show_format", "-show_streams", "-of", "json", f"file:{path}"]
    process = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        async with asyncio.timeout(_PROBE_TIMEOUT_S):
            stdout, stderr = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise RefusedError("media_unreadable", "probing the file took too long") from None
    if process.returncode != 0:
        reason = stderr.decode(errors="replace").strip().splitlines()
        detail = reason[-1] if reason else f"ffprobe exited with {process.returncode}"
        if "not on whitelist" in detail:
            raise RefusedError("unsupported_media", "the container format is not supported")
        raise RefusedError(
            "media_unreadable", f"the file is not readable media ({detail.removeprefix(f'file:{path}: ')})"
        )
    probed = json.loads(stdout)
    info = media_info(probed)
    check_limits(info, limits, stream_count=len(probed.get("streams", [])))
    return info


def media_info(probed: dict[str, Any]) -> MediaInfo:
    """MediaInfo from ffprobe's JSON (``-show_format -show_streams``)."""
    fmt = probed.get("format", {})
    streams = probed.get("streams", [])
    video = next(
        (s for s in streams if s.get("codec_type") == "video" and not s.get("disposition", {}).get("attached_pic")),
        None,
    )
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    if fmt.get("format_name") in IMAGE_DEMUXERS and video is not None:
        return MediaInfo(
            size_bytes=int(fmt.get("size") or 0),
            container=str(fmt["format_name"]),
            is_image=True,
            width=int(video.get("width") or 0),
            height=int(video.get("height") or 0),
            video_codec=str(video.get("codec_name", "")),
        )
    info = MediaInfo(
        duration_s=_float(fmt.get("duration")),
        size_bytes=int(fmt.get("size") or 0),
        container=str(fmt.get("format_name", "")),
        has_video=video is not None,
        has_audio=audio is not None,
    )
    if video is not None:
        info.width = int(video.get("width") or 0)
        info.height = int(video.get("height") or 0)
        info.fps = _rate(video.get("avg_frame_rate")) or _rate(video.get("r_frame_rate"))
        info.video_codec = str(video.get("codec_name", ""))
        info.rotation_deg = _rotation(video)
        if not info.duration_s:
            info.duration_s = _float(video.get("duration"))
    if audio is not None:
        info.audio_codec = str(audio.get("codec_name", ""))
        info.audio_channels = int(audio.get("channels") or 0)
        info.audio_sample_rate = int(audio.get("sample_rate") or 0)
        if not info.duration_s:
            info.duration_s = _float(audio.get("duration"))
    return info


def check_limits(info: MediaInfo, limits: Limits, *, stream_count: int) -> None:
    if info.is_image:
        _check_dimensions(info, limits)
        return
    if not (info.has_video or info.has_audio):
        raise RefusedError("unsupported_media", "the file has neither an audio nor a video stream")
    if info.has_video:
        _check_dimensions(info, limits)
    if info.duration_s <= 0:
        raise RefusedError("media_unreadable", "the file has no duration (truncated or not seekable)")
    if stream_count > limits.max_streams:
        raise RefusedError("media_too_large", f"{stream_count} streams; at most {limits.max_streams} are accepted")
    if info.fps > limits.max_fps:
        raise RefusedError("media_too_large", f"{info.fps:g} frames/s exceeds the {limits.max_fps:g} limit")
    if info.duration_s > limits.max_duration_s:
        raise RefusedError("media_too_long", f"{info.duration_s:.0f} s exceeds the {limits.max_duration_s:.0f} s limit")
    if limits.quota_duration_s and info.duration_s > limits.quota_duration_s:
        raise RefusedError(
            "duration_quota_exceeded",
            f"{info.duration_s:.0f} s exceeds the tenant's {limits.quota_duration_s:.0f} s per-asset quota",
        )


def _check_dimensions(info: MediaInfo, limits: Limits) -> None:
    if info.width <= 0 or info.height <= 0:
        raise RefusedError("media_unreadable", "the picture has no dimensions")
    if info.width > limits.max_width or info.height > limits.max_height:
        raise RefusedError(
            "media_too_large",
            f"{info.width}x{info.height} exceeds the {limits.max_width}x{limits.max_height} limit",
        )


def _float(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0


def _rate(value: object) -> float:
    try:
        rate = Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        return 0.0
    return float(rate)


def _rotation(stream: dict[str, Any]) -> int:
    """Clockwise rotation: display matrices state it counter-clockwise, the
    legacy ``rotate`` tag clockwise."""
    for side_data in stream.get("side_data_list", []):
        if "rotation" in side_data:
            return int(-_float(side_data["rotation"])) % 360
    return int(_float(stream.get("tags", {}).get("rotate"))) % 360
