"""Full-text and semantic hits over transcript segments, ranked together.

Full-text search finds the words said; semantic search (sentence embeddings)
finds what was meant in other words ("duty to the nation" finds "ask what you
can do for your country"). The two rankings are fused by reciprocal rank
(each hit scores the sum of 1 / (60 + its rank) in the lists it is in), which
needs no calibration between their scores.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from reelforge_transcription.store import SegmentHit

# Semantic hits less similar than this are noise, not meaning.
MIN_SIMILARITY = 0.3
# How many of each ranking are fused.
CANDIDATES = 50
_RRF_K = 60
_EXCLUDED = re.compile(r"(?:^|\s)-(\w+)")
_PHRASE = re.compile(r'"([^"]+)"')


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def excluded_words(query: str) -> set[str]:
    """The words a web-search query excludes (``-word``)."""
    return {word.lower() for word in _EXCLUDED.findall(query)}


def required_phrases(query: str) -> list[list[str]]:
    """The words of each "quoted phrase" of a web-search query, which a hit must say."""
    return [words for phrase in _PHRASE.findall(query) if (words := _words(phrase))]


def _says(words: list[str], phrase: list[str]) -> bool:
    return any(words[start : start + len(phrase)] == phrase for start in range(len(words) - len(phrase) + 1))


def _admissible(hit: SegmentHit, excluded: set[str], phrases: list[list[str]]) -> bool:
    words = _words(hit.text)
    return not excluded & set(words) and all(_says(words, phrase) for phrase in phrases)


def fuse(fulltext: Sequence[SegmentHit], semantic: Sequence[SegmentHit], *, query: str, limit: int) -> list[SegmentHit]:
    """The hits of both rankings, best first by reciprocal rank; semantic hits
    that contain an excluded word, or lack a quoted phrase, are dropped, as
    full-text search drops them."""
    excluded, phrases = excluded_words(query), required_phrases(query)
    kept = [hit for hit in semantic if _admissible(hit, excluded, phrases)]
    scores: dict[tuple[str, float], float] = {}
    hits: dict[tuple[str, float], SegmentHit] = {}
    for ranking in (fulltext, kept):
        for rank, hit in enumerate(ranking, start=1):
            key = (hit.transcript_id, hit.start_s)
            scores[key] = scores.get(key, 0.0) + 1.0 / (_RRF_K + rank)
            hits.setdefault(key, hit)
    best = sorted(scores, key=lambda key: (-scores[key], key))[:limit]
    return [
        SegmentHit(
            hits[key].asset_id, hits[key].transcript_id, hits[key].start_s, hits[key].end_s, hits[key].text, scores[key]
        )
        for key in best
    ]
