"""Subtitles from transcripts, read back with real SubRip and WebVTT parsers."""

from __future__ import annotations

import html
import itertools
from dataclasses import dataclass
from typing import Any

import pytest
import srt
import webvtt

from reelforge_transcription.subtitles import CueRules, cues, plain_text, vtt
from reelforge_transcription.subtitles import srt as to_srt
from reelforge_transcription.transcript import Segment, Transcript, Word

RULES = CueRules()

TALK = (
    "So today we're going to walk through how the new editing pipeline works, why we rebuilt it "
    "from scratch last spring, and what it actually means for the videos you upload every week. "
    "First, uploads are now processed in parallel, which cuts the waiting time roughly in half. "
    "Second, every clip gets automatic captions in whatever language you happen to speak."
)


@dataclass(frozen=True)
class ParsedCue:
    start_ms: int
    end_ms: int
    lines: list[str]


def spoken(text: str, start: float, *, pause_after_punctuation: float = 0.3) -> Segment:
    """A segment read at a natural pace, with Whisper-style words (leading space in each word)."""
    words = []
    at = start
    for index, token in enumerate(text.split()):
        duration = 0.1 + 0.045 * len(token) + 0.02 * (index % 3)
        words.append(Word(" " + token, round(at, 3), round(at + duration, 3), 0.9))
        at += duration + (pause_after_punctuation if token[-1] in ".,;:!?" else 0.06)
    return Segment(words[0].start, words[-1].end, " " + text, tuple(words))


def transcript(*segments: Segment, duration_s: float | None = None) -> Transcript:
    end = max((segment.end for segment in segments), default=0.0)
    return Transcript("en", 0.98, end + 1.0 if duration_s is None else duration_s, segments)


def parse_srt(text: str) -> list[ParsedCue]:
    subtitles = list(srt.parse(text))
    assert [subtitle.index for subtitle in subtitles] == list(range(1, len(subtitles) + 1))
    return [
        ParsedCue(
            round(subtitle.start.total_seconds() * 1000),
            round(subtitle.end.total_seconds() * 1000),
            subtitle.content.split("\n"),
        )
        for subtitle in subtitles
    ]


def parse_vtt(text: str) -> list[ParsedCue]:
    captions = webvtt.from_string(text, strict=True).captions
    return [
        ParsedCue(
            caption.start_time.in_milliseconds(),
            caption.end_time.in_milliseconds(),
            [html.unescape(line) for line in caption.lines],
        )
        for caption in captions
    ]


def well_formed(tr: Transcript, rules: CueRules = RULES) -> list[ParsedCue]:
    """Both files parse to the same cues, which keep every subtitle rule; the SubRip cues are returned."""
    from_srt = parse_srt(to_srt(tr, rules))
    assert parse_vtt(vtt(tr, rules)) == from_srt
    for cue in from_srt:
        assert 1 <= len(cue.lines) <= rules.max_lines, cue
        assert all(0 < len(line) <= rules.max_chars_per_line for line in cue.lines), cue
        assert all(line == line.strip() for line in cue.lines), cue
        assert 0 < cue.end_ms - cue.start_ms <= rules.max_duration_s * 1000, cue
    for cue, following in itertools.pairwise(from_srt):
        assert cue.start_ms <= cue.end_ms <= following.start_ms, (cue, following)
        # Shorter than the minimum only when the next cue leaves no room.
        assert cue.end_ms - cue.start_ms >= rules.min_duration_s * 1000 or cue.end_ms == following.start_ms
    return from_srt


def spoken_tokens(tr: Transcript) -> list[str]:
    return [word.text.strip() for segment in tr.segments for word in segment.words]


def shown_tokens(parsed: list[ParsedCue]) -> list[str]:
    return " ".join(line for cue in parsed for line in cue.lines).split()


def test_long_segment_is_cut_into_cues_that_keep_every_word_once_in_order() -> None:
    segment = spoken(TALK, start=12.4)
    tr = transcript(segment)
    assert len(segment.words) >= 60

    parsed = well_formed(tr)

    assert len(parsed) >= 4
    assert shown_tokens(parsed) == spoken_tokens(tr)
    assert all(cue.end_ms - cue.start_ms >= 1000 for cue in parsed)


def test_cue_times_are_its_first_and_last_words_times() -> None:
    segment = spoken(TALK, start=3.0)
    words = iter(segment.words)

    for cue in cues(transcript(segment)):
        shown = " ".join(cue.lines).split()
        cue_words = [next(words) for _ in shown]
        assert [word.text.strip() for word in cue_words] == shown
        assert cue.start_ms == round(cue_words[0].start * 1000)
        assert cue.end_ms == round(cue_words[-1].end * 1000)
    assert next(words, None) is None


def test_cues_are_cut_after_sentence_ends_or_punctuation_not_mid_phrase() -> None:
    parsed = well_formed(transcript(spoken(TALK, start=0.0)))

    for cue in parsed[:-1]:
        assert cue.lines[-1][-1] in ".,", cue


def test_a_sentence_end_is_preferred_to_a_comma_when_both_fit() -> None:
    text = "We shipped it on Monday. After that, the whole team finally went home to sleep for a while."
    parsed = well_formed(transcript(spoken(text, start=0.0)))

    assert parsed[0].lines[-1].endswith("Monday.")


def test_two_line_cues_break_where_the_lines_are_most_balanced() -> None:
    text = "the quick brown fox jumps over the lazy dog near the old river bank"
    parsed = well_formed(transcript(spoken(text, start=0.0)))

    assert len(parsed) == 1
    top, bottom = parsed[0].lines
    words = text.split()
    imbalances = [abs(len(" ".join(words[:k])) - len(" ".join(words[k:]))) for k in range(1, len(words))]
    assert abs(len(top) - len(bottom)) == min(imbalances)


def test_a_cue_that_fits_on_one_line_stays_on_one_line() -> None:
    parsed = well_formed(transcript(spoken("Short and sweet.", start=1.0)))

    assert [cue.lines for cue in parsed] == [["Short and sweet."]]


def test_no_cue_spans_a_long_pause() -> None:
    before = spoken("Let me think about that", start=2.0)
    after = spoken("okay here is the answer.", start=before.end + 2.5)
    segment = Segment(before.start, after.end, before.text + after.text, before.words + after.words)

    parsed = well_formed(transcript(segment))

    assert [" ".join(cue.lines) for cue in parsed] == ["Let me think about that", "okay here is the answer."]
    assert parsed[0].end_ms == round(before.words[-1].end * 1000)
    assert parsed[1].start_ms == round(after.words[0].start * 1000)


def test_short_cues_last_the_minimum_when_the_gap_allows_and_never_overlap_the_next() -> None:
    yes = Segment(1.0, 1.2, " Yes.", (Word(" Yes.", 1.0, 1.2, 0.9),))
    right = Segment(1.6, 1.9, " Right.", (Word(" Right.", 1.6, 1.9, 0.9),))
    go = Segment(5.0, 5.3, " Go!", (Word(" Go!", 5.0, 5.3, 0.9),))
    end = Segment(9.0, 9.2, " End.", (Word(" End.", 9.0, 9.2, 0.9),))

    parsed = well_formed(transcript(yes, right, go, end, duration_s=9.5))

    assert [(cue.start_ms, cue.end_ms) for cue in parsed] == [(1000, 1600), (1600, 2600), (5000, 6000), (9000, 9500)]


def test_a_cue_never_lasts_longer_than_the_maximum() -> None:
    drawn_out = Segment(0.0, 12.0, " Hmmmm.", (Word(" Hmmmm.", 0.0, 12.0, 0.4),))
    slow = spoken(" ".join(["slowly"] * 12) + ".", start=20.0, pause_after_punctuation=0.0)
    slow = Segment(
        slow.start, slow.end, slow.text, tuple(Word(w.text, w.start * 3, w.end * 3, 0.9) for w in slow.words)
    )

    parsed = well_formed(transcript(drawn_out, slow))

    assert parsed[0].end_ms - parsed[0].start_ms == 7000
    assert all(cue.end_ms - cue.start_ms <= 7000 for cue in parsed)
    assert len(parsed) >= 3


def test_segment_without_word_timings_is_spread_over_its_duration() -> None:
    text = (
        "A segment without word timings: its text, internationalization and all, is laid out "
        "evenly over the time it covers, so a cue of long words stays longer than one of short words, "
        "and no cue runs past its end."
    )
    segment = Segment(30.0, 42.0, text)

    parsed = well_formed(transcript(segment))

    assert shown_tokens(parsed) == text.split()
    assert parsed[0].start_ms == 30_000
    assert parsed[-1].end_ms == 42_000
    assert len(parsed) >= 2
    for cue in parsed:
        share = len(" ".join(cue.lines)) / len(text)
        assert (cue.end_ms - cue.start_ms) / 12_000 == pytest.approx(share, abs=0.01)


def test_unicode_text_is_kept_intact_and_escaped_only_in_webvtt() -> None:
    text = "Ça, c'est l'été à Zürich — naïve façade, œuvre d'art, 🎬 R&D <3 pour Ægir et Ørsted… «Très bien»!"
    tr = transcript(spoken(text, start=0.5))

    parsed = well_formed(tr)

    assert shown_tokens(parsed) == text.split()
    assert "R&D" in to_srt(tr)
    assert "R&amp;D &lt;3" in vtt(tr)
    assert "-->" not in "".join(line for cue in parsed for line in cue.lines)


def test_words_of_languages_written_without_spaces_are_joined_without_spaces() -> None:
    pieces = ["今日は", "新しい", "編集", "パイプライン", "に", "ついて", "話します。"] * 4
    words = tuple(Word(piece, 0.4 * i, 0.4 * i + 0.35, 0.9) for i, piece in enumerate(pieces))
    tr = Transcript("ja", 0.97, 12.0, (Segment(0.0, words[-1].end, "".join(pieces), words),))

    parsed = well_formed(tr)

    assert "".join(line for cue in parsed for line in cue.lines) == "".join(pieces)


def test_a_word_longer_than_a_line_is_cut_into_line_sized_pieces() -> None:
    url = "https://example.com/" + "a" * 70
    words = (Word(" See", 0.0, 0.3, 0.9), Word(" " + url, 0.4, 3.0, 0.9), Word(" now.", 3.1, 3.4, 0.9))
    tr = transcript(Segment(0.0, 3.4, f" See {url} now.", words))

    parsed = well_formed(tr)

    assert "".join(line for cue in parsed for line in cue.lines).replace(" ", "") == f"See{url}now."


def test_overlapping_segments_still_give_ordered_cues_that_all_show() -> None:
    first = spoken("The first chunk ends with this sentence.", start=0.0)
    second = spoken("And the second chunk starts a bit too early.", start=first.end - 0.8)
    # A chunk seam repeating audio: the next segment starts before the previous one.
    third = Segment(5.0, 5.4, " Okay.", (Word(" Okay.", 5.0, 5.4, 0.9),))
    fourth = spoken("Then we carry on from here.", start=4.8)
    tr = transcript(first, second, third, fourth)

    parsed = well_formed(tr)

    assert shown_tokens(parsed) == spoken_tokens(tr)
    assert (parsed[-2].start_ms, parsed[-2].end_ms, parsed[-1].start_ms) == (5000, 5400, 5400)


def test_custom_rules_are_honoured() -> None:
    rules = CueRules(max_chars_per_line=20, max_lines=1, min_duration_s=0.5, max_duration_s=3.0)
    tr = transcript(spoken(TALK, start=0.0))

    parsed = well_formed(tr, rules)

    assert all(len(cue.lines) == 1 for cue in parsed)
    assert shown_tokens(parsed) == spoken_tokens(tr)


@pytest.mark.parametrize(
    "rules",
    [
        {"max_chars_per_line": 0},
        {"max_lines": 0},
        {"min_duration_s": 8.0},
        {"max_duration_s": 0.0},
        {"pause_s": 0.0},
    ],
)
def test_impossible_rules_are_refused(rules: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"cue|pause"):
        CueRules(**rules)


def test_files_use_subrip_and_webvtt_timestamps() -> None:
    tr = transcript(
        Segment(
            3725.5,
            3727.25,
            " Hello there.",
            (Word(" Hello", 3725.5, 3726.0, 0.9), Word(" there.", 3726.1, 3727.25, 0.9)),
        )
    )

    assert to_srt(tr) == "1\n01:02:05,500 --> 01:02:07,250\nHello there.\n\n"
    assert vtt(tr) == "WEBVTT\n\n01:02:05.500 --> 01:02:07.250\nHello there.\n"


@pytest.mark.parametrize(
    "tr",
    [
        Transcript("en", 0.0, 0.0),
        Transcript("en", 0.0, 10.0, (Segment(0.0, 2.0, "  "), Segment(2.0, 4.0, "", (Word(" ", 2.0, 2.5, 0.1),)))),
    ],
)
def test_an_empty_transcript_gives_valid_empty_files(tr: Transcript) -> None:
    assert to_srt(tr) == ""
    assert vtt(tr) == "WEBVTT\n"
    assert plain_text(tr) == ""
    assert parse_srt(to_srt(tr)) == []
    assert parse_vtt(vtt(tr)) == []


def test_plain_text_has_every_word_in_order_with_paragraphs_at_long_pauses() -> None:
    first = spoken("Welcome back, everyone.", start=0.0)
    second = spoken("Today we edit.", start=first.end + 0.4)
    third = spoken("After the break, we export.", start=second.end + 5.0)
    untimed = Segment(third.end + 0.2, third.end + 3.0, " And we are done.")
    tr = transcript(first, second, third, untimed)

    text = plain_text(tr)

    assert text.split() == [*spoken_tokens(tr), "And", "we", "are", "done."]
    assert text == "Welcome back, everyone. Today we edit.\n\nAfter the break, we export. And we are done.\n"
