"""What a clip job is asked to make, and its export preset."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from reelforge.render.v1 import render_pb2

ASPECTS = {"9:16": (9, 16), "1:1": (1, 1), "4:5": (4, 5), "16:9": (16, 9)}
CAPTION_STYLES = ("highlight", "pop", "classic")
CAPTION_POSITIONS = ("top", "middle", "bottom")
CODECS = ("h264", "h265", "vp9", "av1")
RESOLUTIONS = (480, 720, 1080, 1440, 2160)
MAX_CLIPS = 20


@dataclass(frozen=True)
class ExportSpec:
    codec: str = "h264"
    # The output's short side, in pixels.
    resolution: int = 1080
    fps: float = 30.0
    # 0: the codec's default quality.
    crf: int = 0
    # 0: constant quality (crf) instead of a target bitrate.
    video_bitrate_kbps: int = 0
    audio_bitrate_kbps: int = 128

    def size(self, aspect: str) -> tuple[int, int]:
        """(width, height) for ``aspect``, the short side ``resolution``, both even."""
        across, down = ASPECTS[aspect]
        short, long_ = self.resolution, round(self.resolution * max(across, down) / min(across, down) / 2) * 2
        return (short, long_) if across <= down else (long_, short)


@dataclass(frozen=True)
class ClipOptions:
    count: int = 3
    min_duration_s: float = 10.0
    max_duration_s: float = 60.0
    aspect: str = "9:16"
    # Empty: no captions.
    caption_style: str = "highlight"
    caption_position: str = "bottom"
    prompt: str = ""
    language: str = ""
    export: ExportSpec = field(default_factory=ExportSpec)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClipOptions:
        return cls(**{**data, "export": ExportSpec(**data["export"])})

    @classmethod
    def from_message(cls, message: render_pb2.ClipJobOptions) -> ClipOptions:
        """The options a request asked for, the defaults where it left a field empty."""
        defaults, export = cls(), ExportSpec()
        given = message.export
        return cls(
            count=message.count or defaults.count,
            min_duration_s=message.min_duration_s or defaults.min_duration_s,
            max_duration_s=message.max_duration_s or defaults.max_duration_s,
            aspect=message.aspect or defaults.aspect,
            caption_style=message.caption_style,
            caption_position=message.caption_position or defaults.caption_position,
            prompt=message.prompt,
            language=message.language,
            export=ExportSpec(
                codec=given.codec or export.codec,
                resolution=given.resolution or export.resolution,
                fps=given.fps or export.fps,
                crf=given.crf,
                video_bitrate_kbps=given.video_bitrate_kbps,
                audio_bitrate_kbps=given.audio_bitrate_kbps or export.audio_bitrate_kbps,
            ),
        )

    def to_message(self) -> render_pb2.ClipJobOptions:
        return render_pb2.ClipJobOptions(
            count=self.count,
            min_duration_s=self.min_duration_s,
            max_duration_s=self.max_duration_s,
            aspect=self.aspect,
            caption_style=self.caption_style,
            caption_position=self.caption_position,
            prompt=self.prompt,
            language=self.language,
            export=render_pb2.ExportPreset(**asdict(self.export)),
        )

    def problems(self) -> list[str]:
        """What is wrong with these options, one ``field: reason`` each."""
        found = []
        if not 1 <= self.count <= MAX_CLIPS:
            found.append(f"count: 1 to {MAX_CLIPS}")
        if not 1 <= self.min_duration_s <= self.max_duration_s <= 600:
            found.append("min_duration_s, max_duration_s: 1 <= min <= max <= 600")
        if self.aspect not in ASPECTS:
            found.append(f"aspect: one of {', '.join(ASPECTS)}")
        if self.caption_style and self.caption_style not in CAPTION_STYLES:
            found.append(f"caption_style: one of {', '.join(CAPTION_STYLES)}, or empty for none")
        if self.caption_position not in CAPTION_POSITIONS:
            found.append(f"caption_position: one of {', '.join(CAPTION_POSITIONS)}")
        if len(self.prompt) > 500:
            found.append("prompt: at most 500 characters")
        export = self.export
        if export.codec not in CODECS:
            found.append(f"export.codec: one of {', '.join(CODECS)}")
        if export.resolution not in RESOLUTIONS:
            found.append(f"export.resolution: one of {', '.join(map(str, RESOLUTIONS))}")
        if not 1 <= export.fps <= 60:
            found.append("export.fps: 1 to 60")
        if export.crf > 63:
            found.append("export.crf: 0 to 63")
        if not 0 <= export.video_bitrate_kbps <= 100_000 or not 32 <= export.audio_bitrate_kbps <= 512:
            found.append("export bitrates: video 0 to 100000 kb/s, audio 32 to 512 kb/s")
        return found
