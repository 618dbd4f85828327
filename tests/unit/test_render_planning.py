"""Choosing moments: sentences, topics, features with reasons, selection, titles."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from reelforge_render.highlights import MediaSignals, Scorer, candidates, choose
from reelforge_render.sentences import Word, sentences_of, words_of
from reelforge_render.titles import title_for
from reelforge_render.topics import topic_ids


def spoken(*sentences: str, gap: float = 0.3, rate: float = 0.35) -> list[Word]:
    """Words at a steady pace, sentence after sentence."""
    words, at = [], 0.0
    for sentence in sentences:
        for text in sentence.split():
            words.append(Word(text, at, at + rate - 0.05))
            at += rate
        at += gap
    return words


def test_words_come_from_segments_and_a_segment_without_words_counts_as_one() -> None:
    document = {
        "segments": [
            {"start": 0, "end": 1, "text": " Hello there.", "words": [
                {"text": " Hello", "start": 0.0, "end": 0.4}, {"text": " there.", "start": 0.5, "end": 0.9},
            ]},
            {"start": 2, "end": 4, "text": " No word timings here.", "words": []},
        ]
    }  # fmt: skip
    assert [(w.text, w.start) for w in words_of(document)] == [
        ("Hello", 0.0), ("there.", 0.5), ("No word timings here.", 2.0),
    ]  # fmt: skip


def test_sentences_end_at_punctuation_and_long_pauses() -> None:
    words = [*spoken("Is this the first?", "Yes it is"), Word("after", 10.0, 10.3), Word("pause.", 10.4, 10.8)]
    found = sentences_of(words)
    assert [s.text for s in found] == ["Is this the first?", "Yes it is", "after pause."]
    assert found[0].is_question
    assert not found[1].is_complete


def test_topics_change_where_the_embeddings_do() -> None:
    a, b = np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])
    rng = np.random.default_rng(0)
    vectors = np.stack([a] * 5 + [b] * 5) + rng.normal(0, 0.05, (10, 3))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = topic_ids(vectors)
    assert ids[:5] == [ids[0]] * 5
    assert ids[5:] == [ids[5]] * 5
    assert ids[0] != ids[5]
    assert topic_ids(vectors[:2]) == [0, 0]


def test_candidates_are_whole_sentences_within_the_bounds() -> None:
    found = sentences_of(spoken(*(["one two three four five six."] * 6)))  # about 2.4 s each
    runs = candidates(found, min_s=4, max_s=8)
    assert runs
    for first, last in runs:
        assert 4 <= found[last].end - found[first].start <= 8
    assert candidates(found, min_s=100, max_s=8)  # shorter media: runs up to max_s anyway


def scorer(texts: list[str], vectors: np.ndarray, prompt: np.ndarray | None = None) -> Scorer:
    found = sentences_of(spoken(*texts))
    duration = found[-1].end
    signals = MediaSignals(np.full(int(duration / 0.5) + 1, -25.0), 0.5, np.zeros(int(duration) + 1))
    return Scorer(found, vectors, signals, prompt)


def test_a_question_up_front_is_a_hook_and_a_connective_is_not_self_contained() -> None:
    texts = ["Why do most startups fail so early?", "And then it rained all day long here."]
    vectors = np.eye(2, 4, dtype=np.float32)
    judge = scorer(texts, vectors)
    question = {r.feature: r for r in judge.reasons(0, 0)}
    dangling = {r.feature: r for r in judge.reasons(1, 1)}
    assert (question["hook"].value, question["hook"].detail) == (1.0, "opens with a question")
    assert dangling["hook"].value < question["hook"].value
    assert dangling["self_contained"].value < question["self_contained"].value
    assert 'opens on "and"' in dangling["self_contained"].detail


def test_choose_takes_the_best_moments_without_overlap_deterministically() -> None:
    texts = [f"Sentence number {i} says something about topic {i % 3}." for i in range(12)]
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(12, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    judge = scorer(texts, vectors)
    first = choose(judge, count=3, min_s=4, max_s=9, duration_s=60)
    again = choose(scorer(texts, vectors), count=3, min_s=4, max_s=9, duration_s=60)
    assert first == again
    assert len(first) == 3
    assert [h.score for h in first] == sorted((h.score for h in first), reverse=True)
    spans = sorted((h.first, h.last) for h in first)
    assert all(a[1] < b[0] for a, b in itertools.pairwise(spans))
    for highlight in first:
        sentences = judge.sentences
        assert highlight.start_s <= sentences[highlight.first].start
        assert highlight.end_s >= sentences[highlight.last].end
        if highlight.first > 0:
            assert highlight.start_s >= sentences[highlight.first - 1].end
        assert highlight.title
        assert {r.feature for r in highlight.reasons} == {
            "hook", "self_contained", "coherence", "speech_energy", "pace", "motion",
        }  # fmt: skip


def test_a_prompt_pulls_the_moment_that_matches_it() -> None:
    texts = ["We talked about the weather today.", "Our pricing starts at ten dollars.", "The team went home."]
    vectors = np.eye(3, 3, dtype=np.float32)
    prompt = np.array([0.0, 1.0, 0.0], np.float32)
    [without] = choose(scorer(texts, vectors), count=1, min_s=1, max_s=3, duration_s=20)
    [with_prompt] = choose(scorer(texts, vectors, prompt), count=1, min_s=1, max_s=3, duration_s=20)
    assert "pricing" in with_prompt.excerpt
    assert any(r.feature == "prompt" and r.value == pytest.approx(1.0) for r in with_prompt.reasons)
    assert without.excerpt != with_prompt.excerpt or "pricing" in without.excerpt


def test_titles_are_the_most_telling_clause_or_key_phrase() -> None:
    corpus = [
        "And so my fellow Americans,",
        "ask not what your country can do for you, ask what you can do for your country.",
        "John Dashwood had then leisure to consider how much there might be prudently in his power to do for them.",
    ]
    assert title_for(corpus[1], corpus) == "Ask what you can do for your country"
    assert title_for(corpus[2], corpus) == "John Dashwood"
    assert title_for("It is.", corpus) == "It is."
