"""Choosing the best moments of a video, explainably.

Candidates are runs of whole sentences whose duration lies within the
requested bounds, so a clip starts and ends between words. Each candidate is
scored from features between 0 and 1, each with a weight and a reason in
words:

- ``hook``: the first sentence is a question, gives a number or makes a claim;
- ``self_contained``: it stays within one topic (TextTiling over sentence
  embeddings), does not open on a connective ("and", "but"...) and ends a
  sentence;
- ``coherence``: its sentences are about the same thing (embedding similarity);
- ``speech_energy``: how loud the speech is, against the rest of the media;
- ``pace``: words per second near a lively speaking rate;
- ``motion``: the main subject's motion energy, against the rest of the media;
- ``prompt``: similarity to the tenant's prompt, when there is one (weighted
  above everything else).

The best candidates that do not overlap are taken, best first; ties break on
time, so the same inputs always give the same plan.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from reelforge_render.sentences import Sentence
from reelforge_render.titles import title_for
from reelforge_render.topics import topic_ids

WEIGHTS = {
    "hook": 0.2,
    "self_contained": 0.2,
    "coherence": 0.15,
    "speech_energy": 0.15,
    "pace": 0.1,
    "motion": 0.1,
}
PROMPT_WEIGHT = 0.6
_CONNECTIVES = frozenset(["and", "but", "so", "because", "or", "then", "also", "which", "plus", "yet", "anyway"])
_CLAIM_WORDS = "never always best worst most least secret truth mistake why how must should everyone nobody only"
_CLAIMS = frozenset(_CLAIM_WORDS.split())
_NUMBER = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|million)\b", re.I)
# Clips are cut a little before the first word and after the last, within the silence around them.
_LEAD_S, _TAIL_S = 0.15, 0.3
_EXCERPT_CHARS = 280
# Motion energy of a lively gesture (body heights per second): counts fully.
_LIVELY_MOTION = 0.3


@dataclass(frozen=True)
class Reason:
    feature: str
    value: float
    weight: float
    detail: str


@dataclass(frozen=True)
class Highlight:
    first: int
    last: int
    start_s: float
    end_s: float
    score: float
    reasons: tuple[Reason, ...]
    title: str
    excerpt: str
    hashtags: tuple[str, ...] = ()


@dataclass(frozen=True)
class MediaSignals:
    """Per-time measures of the media: speech loudness (dBFS every ``energy_hop_s``)
    and the main subject's motion energy (one value per second; empty without video)."""

    energy_db: np.ndarray
    energy_hop_s: float
    motion: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def mean_energy(self, start: float, end: float) -> float | None:
        first, last = int(start / self.energy_hop_s), max(int(np.ceil(end / self.energy_hop_s)), 1)
        values = self.energy_db[first:last]
        return float(values.mean()) if len(values) else None

    def mean_motion(self, start: float, end: float) -> float | None:
        values = self.motion[int(start) : max(int(np.ceil(end)), int(start) + 1)]
        return float(values.mean()) if len(values) else None


def _clip01(value: float) -> float:
    return float(min(max(value, 0.0), 1.0))


def _spread(values: np.ndarray) -> tuple[float, float]:
    """The 10th and 90th percentiles: what counts as quiet and loud in this media."""
    if len(values) == 0:
        return 0.0, 1.0
    low, high = np.percentile(values, [10, 90])
    return float(low), float(max(high, low + 1e-6))


class Scorer:
    """Scores runs of sentences of one transcript."""

    def __init__(
        self,
        sentences: Sequence[Sentence],
        vectors: np.ndarray,
        signals: MediaSignals,
        prompt_vector: np.ndarray | None = None,
    ) -> None:
        self.sentences = sentences
        self.vectors = vectors
        self.signals = signals
        self.prompt_vector = prompt_vector
        self.topics = topic_ids(vectors)
        self._energy_range = _spread(signals.energy_db[np.isfinite(signals.energy_db)])

    def reasons(self, first: int, last: int) -> tuple[Reason, ...]:
        run = self.sentences[first : last + 1]
        start, end = run[0].start, run[-1].end
        found = [self._hook(run[0]), self._self_contained(first, last), self._coherence(first, last)]
        found += [self._energy(start, end), self._pace(run, start, end), self._motion(start, end)]
        if self.prompt_vector is not None:
            found.append(self._prompt(first, last))
        return tuple(found)

    def _hook(self, opening: Sentence) -> Reason:
        words = {word.text.lower().strip(",.?!\"'") for word in opening.words}
        if opening.is_question:
            return Reason("hook", 1.0, WEIGHTS["hook"], "opens with a question")
        if _NUMBER.search(opening.text):
            return Reason("hook", 0.8, WEIGHTS["hook"], "opens with a number")
        if words & _CLAIMS:
            return Reason("hook", 0.6, WEIGHTS["hook"], "opens with a strong claim")
        return Reason("hook", 0.2, WEIGHTS["hook"], "no question, number or claim up front")

    def _self_contained(self, first: int, last: int) -> Reason:
        topics = self.topics[first : last + 1]
        main = max(set(topics), key=lambda topic: (topics.count(topic), -topic))
        value = topics.count(main) / len(topics)
        notes = [] if value == 1 else [f"{value:.0%} of it on one topic"]
        opening = self.sentences[first].words[0].text.lower().strip(",.?!\"'")
        if opening in _CONNECTIVES:
            value -= 0.4
            notes.append(f'opens on "{opening}"')
        if not self.sentences[last].is_complete:
            value -= 0.2
            notes.append("ends mid-sentence")
        return Reason("self_contained", _clip01(value), WEIGHTS["self_contained"], "; ".join(notes) or "one topic")

    def _coherence(self, first: int, last: int) -> Reason:
        if first == last:
            return Reason("coherence", 0.6, WEIGHTS["coherence"], "a single sentence")
        vectors = self.vectors[first : last + 1]
        centre = vectors.mean(axis=0)
        centre = centre / max(float(np.linalg.norm(centre)), 1e-9)
        similarity = float((vectors @ centre).mean())
        value = _clip01((similarity - 0.3) / 0.6)
        return Reason("coherence", value, WEIGHTS["coherence"], f"sentences {similarity:.2f} alike")

    def _energy(self, start: float, end: float) -> Reason:
        mean = self.signals.mean_energy(start, end)
        if mean is None or not np.isfinite(mean):
            return Reason("speech_energy", 0.0, WEIGHTS["speech_energy"], "no audio")
        low, high = self._energy_range
        return Reason(
            "speech_energy", _clip01((mean - low) / (high - low)), WEIGHTS["speech_energy"], f"{mean:.0f} dBFS"
        )

    def _pace(self, run: Sequence[Sentence], start: float, end: float) -> Reason:
        rate = sum(len(s.words) for s in run) / max(end - start, 0.1)
        value = float(np.exp(-(((rate - 2.8) / 1.2) ** 2)))
        return Reason("pace", value, WEIGHTS["pace"], f"{rate:.1f} words/s")

    def _motion(self, start: float, end: float) -> Reason:
        mean = self.signals.mean_motion(start, end)
        if mean is None:
            return Reason("motion", 0.0, WEIGHTS["motion"], "nobody seen")
        return Reason("motion", _clip01(mean / _LIVELY_MOTION), WEIGHTS["motion"], f"{mean:.2f} body heights/s")

    def _prompt(self, first: int, last: int) -> Reason:
        assert self.prompt_vector is not None
        centre = self.vectors[first : last + 1].mean(axis=0)
        centre = centre / max(float(np.linalg.norm(centre)), 1e-9)
        similarity = float(centre @ self.prompt_vector)
        return Reason("prompt", _clip01((similarity - 0.1) / 0.5), PROMPT_WEIGHT, f"{similarity:.2f} like the prompt")


def total(reasons: Sequence[Reason]) -> float:
    weight = sum(reason.weight for reason in reasons)
    return sum(reason.value * reason.weight for reason in reasons) / weight if weight else 0.0


def candidates(sentences: Sequence[Sentence], min_s: float, max_s: float) -> list[tuple[int, int]]:
    """Runs of whole sentences lasting min_s to max_s; when none does (short
    media), every run up to max_s."""
    runs = [
        (first, last)
        for first in range(len(sentences))
        for last in range(first, len(sentences))
        if sentences[last].end - sentences[first].start <= max_s
    ]
    long_enough = [(a, b) for a, b in runs if sentences[b].end - sentences[a].start >= min_s]
    return long_enough or runs


def _bounds(sentences: Sequence[Sentence], first: int, last: int, duration_s: float) -> tuple[float, float]:
    """Cut points in the silence before the first word and after the last."""
    start, end = sentences[first].start, sentences[last].end
    before = sentences[first - 1].end if first > 0 else 0.0
    after = sentences[last + 1].start if last + 1 < len(sentences) else duration_s
    return max(before, start - _LEAD_S, 0.0), min(after, end + _TAIL_S, max(duration_s, end))


def choose(scorer: Scorer, *, count: int, min_s: float, max_s: float, duration_s: float) -> list[Highlight]:
    """The ``count`` best non-overlapping runs, best first."""
    sentences = scorer.sentences
    scored = []
    for first, last in candidates(sentences, min_s, max_s):
        reasons = scorer.reasons(first, last)
        scored.append((round(total(reasons), 6), sentences[first].start, first, last, reasons))
    scored.sort(key=lambda item: (-item[0], item[1], item[3]))
    taken: list[tuple[int, int]] = []
    chosen = []
    corpus = [sentence.text for sentence in sentences]
    for score, _start, first, last, reasons in scored:
        if any(first <= b and a <= last for a, b in taken):
            continue
        taken.append((first, last))
        text = " ".join(sentence.text for sentence in sentences[first : last + 1])
        start, end = _bounds(sentences, first, last, duration_s)
        excerpt = text if len(text) <= _EXCERPT_CHARS else text[: _EXCERPT_CHARS - 1].rsplit(" ", 1)[0] + "…"
        chosen.append(Highlight(first, last, start, end, score, reasons, title_for(text, corpus), excerpt))
        if len(chosen) == count:
            break
    return chosen
