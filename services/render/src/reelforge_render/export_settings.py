"""What an export of a project is asked to make: picture size, frame rate,
codec and quality, sound, and the transitions between the clips."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from reelforge.render.v1 import render_pb2
from reelforge_render.options import ASPECTS
from reelforge_render.sequence import AUDIO_CODECS, QUALITIES, TRANSITIONS, VIDEO_CODECS, Output, Transition

RESOLUTIONS = {"720p": 720, "1080p": 1080, "4K": 2160}
MAX_TRANSITION_S = 5.0


@dataclass(frozen=True)
class ExportSettings:
    resolution: str = "1080p"
    aspect: str = "16:9"
    fps: float = 30.0
    codec: str = "h264"
    quality: str = "medium"
    audio: bool = True
    audio_codec: str = "aac"
    audio_bitrate_kbps: int = 128
    transitions: tuple[Transition, ...] = field(default_factory=tuple)

    @classmethod
    def from_message(cls, message: render_pb2.ExportSettings) -> ExportSettings:
        """The settings asked for, the defaults where the message left a field empty."""
        defaults = cls()
        return cls(
            resolution=message.resolution or defaults.resolution,
            aspect=message.aspect or defaults.aspect,
            fps=message.fps or defaults.fps,
            codec=message.codec or defaults.codec,
            quality=message.quality or defaults.quality,
            audio=message.audio,
            audio_codec=message.audio_codec or defaults.audio_codec,
            audio_bitrate_kbps=message.audio_bitrate_kbps or defaults.audio_bitrate_kbps,
            transitions=tuple(Transition(t.type or "cut", t.duration_s) for t in message.transitions),
        )

    def to_message(self) -> render_pb2.ExportSettings:
        values = asdict(self)
        transitions = [render_pb2.Transition(type=t.kind, duration_s=t.duration_s) for t in self.transitions]
        return render_pb2.ExportSettings(**{**values, "transitions": transitions})

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExportSettings:
        return cls(**{**data, "transitions": tuple(Transition(**t) for t in data["transitions"])})

    def problems(self) -> list[str]:
        found = []
        if self.resolution not in RESOLUTIONS:
            found.append(f"resolution must be one of {', '.join(RESOLUTIONS)}, not {self.resolution!r}")
        if self.aspect not in ASPECTS:
            found.append(f"aspect must be one of {', '.join(ASPECTS)}, not {self.aspect!r}")
        if not 1 <= self.fps <= 120:
            found.append("fps must be 1 to 120")
        if self.codec not in VIDEO_CODECS:
            found.append(f"codec must be one of {', '.join(VIDEO_CODECS)}, not {self.codec!r}")
        if self.quality not in QUALITIES:
            found.append(f"quality must be one of {', '.join(QUALITIES)}, not {self.quality!r}")
        if self.codec == "av1" and self.quality == "lossless":
            found.append("av1 has no lossless mode here: use h264 or h265")
        if self.audio_codec not in AUDIO_CODECS:
            found.append(f"audio codec must be one of {', '.join(AUDIO_CODECS)}, not {self.audio_codec!r}")
        if not 32 <= self.audio_bitrate_kbps <= 512:
            found.append("audio bitrate must be 32 to 512 kb/s")
        for transition in self.transitions:
            if transition.kind not in TRANSITIONS:
                found.append(f"transition type must be one of {', '.join(TRANSITIONS)}, not {transition.kind!r}")
            if not 0 <= transition.duration_s <= MAX_TRANSITION_S:
                found.append(f"transition durations must be 0 to {MAX_TRANSITION_S:.0f} s")
        return found

    def joins(self, clips: int) -> tuple[Transition, ...] | None:
        """One transition per join of ``clips`` clips: all cuts, the one given
        repeated, or those given; None when their number fits neither."""
        joins = max(clips - 1, 0)
        if not self.transitions:
            return (Transition(),) * joins
        if len(self.transitions) == 1:
            return self.transitions * joins
        return self.transitions if len(self.transitions) == joins else None

    def output(self) -> Output:
        across, down = ASPECTS[self.aspect]
        short = RESOLUTIONS[self.resolution]
        long_ = round(short * max(across, down) / min(across, down) / 2) * 2
        width, height = (short, long_) if across <= down else (long_, short)
        return Output(
            width=width,
            height=height,
            fps=self.fps,
            codec=self.codec,
            quality=self.quality,
            audio=self.audio,
            audio_codec=self.audio_codec,
            audio_bitrate_kbps=self.audio_bitrate_kbps,
        )
