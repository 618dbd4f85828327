"""Full-text and semantic rankings fused by reciprocal rank."""

from __future__ import annotations

from reelforge_transcription.search import excluded_words, fuse, required_phrases
from reelforge_transcription.store import SegmentHit


def hit(transcript: str, start: float, text: str = "words") -> SegmentHit:
    return SegmentHit("asset-" + transcript, transcript, start, start + 5, text, 0.0)


def test_a_hit_in_both_rankings_beats_hits_in_one() -> None:
    both, words_only, meaning_only = hit("a", 0), hit("b", 10), hit("c", 20)
    fused = fuse([words_only, both], [both, meaning_only], query="q", limit=10)
    assert [h.transcript_id for h in fused] == ["a", "b", "c"]
    assert fused[0].score > fused[1].score > fused[2].score
    assert fuse([words_only, both], [both, meaning_only], query="q", limit=1) == fused[:1]


def test_excluded_words_drop_semantic_hits_too() -> None:
    assert excluded_words('"can do" -Americans -x') == {"americans", "x"}
    fused = fuse([], [hit("a", 0, "my fellow Americans"), hit("b", 0, "the nation")], query="duty -americans", limit=5)
    assert [h.transcript_id for h in fused] == ["b"]


def test_quoted_phrases_are_required_of_semantic_hits_too() -> None:
    assert required_phrases('"Can do, for" you "" -x') == [["can", "do", "for"]]
    said = hit("a", 0, "ask not what your country can do for you")
    meant = hit("b", 0, "ask what you can do for your country")
    fused = fuse([], [meant, said], query='"country can do for you"', limit=5)
    assert [h.transcript_id for h in fused] == ["a"]
