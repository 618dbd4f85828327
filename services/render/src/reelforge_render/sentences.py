"""Sentences with word timings, from a transcript document (the transcription
service's JSON): the units clips start and end on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# A pause this long ends a sentence even without punctuation.
_PAUSE_S = 1.0
_TERMINAL = (".", "?", "!", "\N{HORIZONTAL ELLIPSIS}")
# What may follow a sentence's last punctuation: quotes and brackets.
_CLOSERS = "\"')\N{RIGHT DOUBLE QUOTATION MARK}\N{RIGHT SINGLE QUOTATION MARK}"


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Sentence:
    words: tuple[Word, ...]

    @property
    def start(self) -> float:
        return self.words[0].start

    @property
    def end(self) -> float:
        return self.words[-1].end

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words).strip()

    @property
    def is_question(self) -> bool:
        return self.text.rstrip(_CLOSERS).endswith("?")

    @property
    def is_complete(self) -> bool:
        return self.text.rstrip(_CLOSERS).endswith(_TERMINAL)


def words_of(document: dict[str, Any]) -> list[Word]:
    """Every word, in order; a segment without word timings counts as one word."""
    found: list[Word] = []
    for segment in document.get("segments", ()):
        timed = segment.get("words") or []
        if not timed:
            text = str(segment["text"]).strip()
            if text:
                found.append(Word(text, float(segment["start"]), float(segment["end"])))
            continue
        for word in timed:
            text = str(word.get("text", word.get("word", ""))).strip()
            if text:
                found.append(Word(text, float(word["start"]), float(word["end"])))
    return found


def sentences_of(words: Sequence[Word]) -> list[Sentence]:
    """Words grouped into sentences at terminal punctuation and at long pauses."""
    found: list[Sentence] = []
    current: list[Word] = []
    for index, word in enumerate(words):
        current.append(word)
        following = words[index + 1] if index + 1 < len(words) else None
        ends = word.text.rstrip(_CLOSERS).endswith(_TERMINAL)
        pause = following is not None and following.start - word.end >= _PAUSE_S
        if ends or pause or following is None:
            found.append(Sentence(tuple(current)))
            current = []
    return found
