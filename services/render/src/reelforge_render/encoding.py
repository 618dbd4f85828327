"""Export presets as FFmpeg encoder options (all outputs MP4, ``+faststart``)."""

from __future__ import annotations

from typing import Any

from reelforge_render.options import ExportSpec

# Each codec's encoder and its default constant quality (on the encoder's own scale).
_ENCODERS = {
    "h264": ("libx264", 20),
    "h265": ("libx265", 24),
    "vp9": ("libvpx-vp9", 32),
    "av1": ("libsvtav1", 35),
}


def video_options(export: ExportSpec, *, speed_preset: str) -> dict[str, Any]:
    """Output options for the video stream."""
    encoder, default_crf = _ENCODERS[export.codec]
    options: dict[str, Any] = {"vcodec": encoder, "pix_fmt": "yuv420p", "r": export.fps}
    if export.codec in {"h264", "h265"}:
        options["preset"] = speed_preset
    if export.codec == "h265":
        options["tag:v"] = "hvc1"  # plays in Apple's players
    if export.codec == "vp9":
        options.update({"deadline": "realtime", "cpu-used": 8, "row-mt": 1})
    if export.codec == "av1":
        options["preset"] = 10
    if export.video_bitrate_kbps:
        rate = export.video_bitrate_kbps
        options.update({"b:v": f"{rate}k", "maxrate": f"{rate * 3 // 2}k", "bufsize": f"{rate * 2}k"})
    else:
        options["crf"] = export.crf or default_crf
        if export.codec == "vp9":
            options["b:v"] = 0  # constant quality
    return options


def audio_options(export: ExportSpec) -> dict[str, Any]:
    return {"acodec": "aac", "b:a": f"{export.audio_bitrate_kbps}k", "ar": 48000}


CONTAINER = {"movflags": "+faststart", "f": "mp4"}
