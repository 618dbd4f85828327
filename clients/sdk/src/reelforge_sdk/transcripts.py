"""Transcripts as the API serves them: the JSON document as frozen dataclasses, and the formats.

Like the other models, each keeps the JSON it was parsed from in ``raw``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reelforge_sdk.models import JSON

# What ``GET /v1/transcripts/{asset_id}?format=`` serves, and as which media type.
TRANSCRIPT_MEDIA_TYPES = {
    "json": "application/json",
    "srt": "application/x-subrip",
    "vtt": "text/vtt",
    "txt": "text/plain",
}
TRANSCRIPT_FORMATS = tuple(TRANSCRIPT_MEDIA_TYPES)


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True)
class TranscriptWord:
    """One word and when it is spoken (seconds from the start of the media)."""

    text: str
    start: float
    end: float
    probability: float | None
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JSON) -> TranscriptWord:
        return cls(
            text=data["text"],
            start=float(data["start"]),
            end=float(data["end"]),
            probability=_optional_float(data.get("probability")),
            raw=data,
        )


@dataclass(frozen=True)
class TranscriptSegment:
    """A stretch of speech with its words; ``avg_logprob`` and ``no_speech_prob`` judge its reliability."""

    start: float
    end: float
    text: str
    words: tuple[TranscriptWord, ...]
    avg_logprob: float | None
    no_speech_prob: float | None
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JSON) -> TranscriptSegment:
        return cls(
            start=float(data["start"]),
            end=float(data["end"]),
            text=data["text"],
            words=tuple(TranscriptWord.from_json(w) for w in data.get("words") or ()),
            avg_logprob=_optional_float(data.get("avg_logprob")),
            no_speech_prob=_optional_float(data.get("no_speech_prob")),
            raw=data,
        )


@dataclass(frozen=True)
class Transcript:
    """An asset's transcript. Media without an audio track has no segments and ``no_audio`` set."""

    language: str
    language_probability: float
    duration_s: float
    segments: tuple[TranscriptSegment, ...]
    no_audio: bool
    model: str
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @property
    def text(self) -> str:
        """The spoken text, segment after segment."""
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())

    @classmethod
    def from_json(cls, data: JSON) -> Transcript:
        return cls(
            language=data.get("language") or "",
            language_probability=float(data.get("language_probability") or 0.0),
            duration_s=float(data.get("duration_s") or 0.0),
            segments=tuple(TranscriptSegment.from_json(s) for s in data.get("segments") or ()),
            no_audio=bool(data.get("no_audio")),
            model=data.get("model") or "",
            raw=data,
        )
