"""A transcript: segments of speech, each with its words and their timings.

Times are seconds from the start of the media. This is the shape stored as
JSON in S3 and served by the API, whichever engine or chunking produced it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float
    probability: float


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()
    # Mean log probability and no-speech probability of the decoder, kept to
    # judge a segment's reliability.
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0

    def shifted(self, offset_s: float) -> Segment:
        """The same segment ``offset_s`` later (a chunk's segment placed in the whole media)."""
        words = tuple(Word(w.text, w.start + offset_s, w.end + offset_s, w.probability) for w in self.words)
        return Segment(
            self.start + offset_s, self.end + offset_s, self.text, words, self.avg_logprob, self.no_speech_prob
        )


@dataclass(frozen=True)
class Transcript:
    language: str
    language_probability: float
    duration_s: float
    segments: tuple[Segment, ...] = ()
    # True when the media has no audio track: an empty transcript, not a failure.
    no_audio: bool = False
    model: str = ""

    @property
    def text(self) -> str:
        return " ".join(segment.text.strip() for segment in self.segments if segment.text.strip())

    @property
    def word_count(self) -> int:
        return sum(len(segment.words) for segment in self.segments)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Transcript:
        segments = tuple(
            Segment(
                start=s["start"],
                end=s["end"],
                text=s["text"],
                words=tuple(Word(**w) for w in s.get("words", ())),
                avg_logprob=s.get("avg_logprob", 0.0),
                no_speech_prob=s.get("no_speech_prob", 0.0),
            )
            for s in data.get("segments", ())
        )
        return cls(
            language=data["language"],
            language_probability=data["language_probability"],
            duration_s=data["duration_s"],
            segments=segments,
            no_audio=data.get("no_audio", False),
            model=data.get("model", ""),
        )
