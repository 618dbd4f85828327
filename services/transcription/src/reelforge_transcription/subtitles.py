"""Subtitles from a transcript: SubRip, WebVTT and plain text.

Cues follow the usual broadcast and streaming conventions (``CueRules``): short
lines, at most two of them, each cue on screen long enough to read but not
lingering. A cue is cut from one segment's words, shown from its first word's
start to its last word's end, and cut where the text allows it best: a sentence
end or a pause, else a clause, else between any two words. A segment without
word timings is spread over its duration in proportion to its characters.

Line lengths count Unicode code points of the visible text (before WebVTT
escaping), which is conservative for combining marks and ignores the double
width of CJK characters.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from reelforge_transcription.transcript import Segment, Transcript

# Sentence ends and clause ends, also CJK full-width ones, maybe followed by closing quotes or brackets.
_CLOSERS = r"[\"'\u201d\u2019)\]\u00bb]*$"
_SENTENCE_END = re.compile(r"[.!?\u2026\u3002\uff01\uff1f]" + _CLOSERS)
_CLAUSE_END = re.compile(r"[,;:\u2013\u2014\u3001\uff0c\uff1b\uff1a]" + _CLOSERS)

# Weights of the cut search, in "cues": each cue costs one, so a cut must earn its keep.
_CUT_MID_SENTENCE = 3.0
_CUT_AT_CLAUSE = 1.0
# A cue that ends a sentence and then starts the next one without finishing it.
_SENTENCE_SPILL = 2.0
_PAUSE_INSIDE = 4.0
_PAUSE_INSIDE_PER_S = 2.0
_TOO_SHORT = 2.0
_UNDERFILLED = 1.0
# Weights of the line balancing, in characters of imbalance a good break is worth.
_LINE_AT_SENTENCE = 16.0
_LINE_AT_CLAUSE = 10.0


@dataclass(frozen=True)
class CueRules:
    """How a transcript is cut into cues; the defaults are the common streaming guidelines."""

    max_chars_per_line: int = 42
    max_lines: int = 2
    min_duration_s: float = 1.0
    max_duration_s: float = 7.0
    # A silence between words at least this long is as good a cut as a sentence end.
    pause_s: float = 0.5

    def __post_init__(self) -> None:
        if self.max_chars_per_line < 1 or self.max_lines < 1:
            raise ValueError("a cue needs at least one line of at least one character")
        if not 0 <= self.min_duration_s <= self.max_duration_s or self.max_duration_s <= 0:
            raise ValueError("cue durations need 0 <= min_duration_s <= max_duration_s, max_duration_s > 0")
        if self.pause_s <= 0:
            raise ValueError("pause_s must be positive")


@dataclass(frozen=True)
class Cue:
    """One subtitle, shown from ``start_ms`` to ``end_ms`` (milliseconds), one string per line."""

    start_ms: int
    end_ms: int
    lines: tuple[str, ...]


@dataclass(frozen=True)
class _Token:
    text: str
    start: float
    end: float
    space_before: bool


def srt(transcript: Transcript, rules: CueRules = CueRules()) -> str:
    """The transcript as a SubRip file; an empty string when there is nothing to show."""
    return "".join(
        f"{number}\n{_timestamp(cue.start_ms, ',')} --> {_timestamp(cue.end_ms, ',')}\n" + "\n".join(cue.lines) + "\n\n"
        for number, cue in enumerate(cues(transcript, rules), start=1)
    )


def vtt(transcript: Transcript, rules: CueRules = CueRules()) -> str:
    """The transcript as a WebVTT file; just the ``WEBVTT`` header when there is nothing to show."""
    blocks = (
        f"\n{_timestamp(cue.start_ms, '.')} --> {_timestamp(cue.end_ms, '.')}\n"
        + "\n".join(html.escape(line, quote=False) for line in cue.lines)
        + "\n"
        for cue in cues(transcript, rules)
    )
    return "WEBVTT\n" + "".join(blocks)


def plain_text(transcript: Transcript, *, paragraph_pause_s: float = 2.0) -> str:
    """The transcript's text, one paragraph per stretch of speech.

    Segments follow one another on a line; a silence of ``paragraph_pause_s`` or
    more between two segments starts a new paragraph, after a blank line. Each
    paragraph ends with a newline; an empty transcript gives an empty string.
    """
    paragraphs: list[list[str]] = []
    previous_end = -math.inf
    for segment in transcript.segments:
        text = _clean(segment.text) or " ".join(_clean(word.text) for word in segment.words if word.text.strip())
        if not text:
            continue
        if not paragraphs or segment.start - previous_end >= paragraph_pause_s:
            paragraphs.append([])
        paragraphs[-1].append(text)
        previous_end = max(previous_end, segment.end)
    return "\n\n".join(" ".join(paragraph) for paragraph in paragraphs) + "\n" if paragraphs else ""


def cues(transcript: Transcript, rules: CueRules = CueRules()) -> list[Cue]:
    """The transcript cut into cues, in order and never overlapping."""
    timed: list[tuple[float, float, tuple[str, ...]]] = []
    for segment in transcript.segments:
        tokens = _segment_tokens(segment, rules)
        for first, last in _cut(tokens, rules):
            part = tokens[first:last]
            timed.append((part[0].start, part[-1].end, _lines(part, rules)))
    return _settle(timed, rules, media_end_ms=round(transcript.duration_s * 1000))


def _segment_tokens(segment: Segment, rules: CueRules) -> list[_Token]:
    words = [word for word in segment.words if word.text.strip()]
    if words:
        spaces = _spacing(segment.text, [word.text for word in words])
        tokens = [_Token(_clean(w.text), w.start, w.end, space) for w, space in zip(words, spaces, strict=True)]
    else:
        tokens = _spread(_clean(segment.text).split(), segment.start, segment.end)
    return _fit_width(_ordered(tokens), rules.max_chars_per_line)


def _clean(text: str) -> str:
    return " ".join(text.split())


def _spacing(text: str, words: Sequence[str]) -> list[bool]:
    """Whether a space precedes each word, read from the segment's text.

    Languages written without spaces have none between words; when the words
    do not line up with the text, a Whisper-style leading space in the word's
    own text decides, and plain words are separated by spaces.
    """
    spaces: list[bool] = []
    position = 0
    for word in words:
        cleaned = _clean(word)
        found = text.find(cleaned, position)
        if found < 0 or text[position:found].strip():
            whisper_style = any(w[:1].isspace() for w in words)
            return [w[:1].isspace() or not whisper_style for w in words]
        spaces.append(found > position)
        position = found + len(cleaned)
    return spaces


def _spread(pieces: Sequence[str], start: float, end: float) -> list[_Token]:
    """Untimed words laid over ``start``..``end`` in proportion to their length."""
    total = sum(len(piece) + 1 for piece in pieces)
    span = max(end - start, 0.0)
    tokens: list[_Token] = []
    at = start
    for piece in pieces:
        length = span * (len(piece) + 1) / total
        tokens.append(_Token(piece, at, at + length, True))
        at += length
    return tokens


def _ordered(tokens: Sequence[_Token]) -> list[_Token]:
    """Timings made monotonic, as engines occasionally return a word a little out of order."""
    ordered: list[_Token] = []
    floor = 0.0
    for token in tokens:
        floor = max(floor, token.start)
        ordered.append(_Token(token.text, floor, max(token.end, floor), token.space_before))
    return ordered


def _fit_width(tokens: Sequence[_Token], width: int) -> list[_Token]:
    """Words longer than a line (URLs, long compounds) cut into line-sized pieces."""
    fitted: list[_Token] = []
    for token in tokens:
        if len(token.text) <= width:
            fitted.append(token)
            continue
        pieces = [token.text[at : at + width] for at in range(0, len(token.text), width)]
        per_char = (token.end - token.start) / len(token.text)
        at = token.start
        for index, piece in enumerate(pieces):
            fitted.append(_Token(piece, at, at + per_char * len(piece), token.space_before and index == 0))
            at += per_char * len(piece)
    return fitted


def _cut(tokens: Sequence[_Token], rules: CueRules) -> list[tuple[int, int]]:
    """The cheapest way to cut tokens into cues that fit the rules, as ``(first, last)`` slices.

    A dynamic programme over cut positions. A cue must fit its lines and last no
    longer than ``max_duration_s`` (a single token always fits, clipped later).
    Cuts mid-sentence, pauses kept inside a cue, a new sentence started but
    not finished in a cue, cues shorter than ``min_duration_s`` and mostly
    empty cues cost extra.
    """
    width, capacity = rules.max_chars_per_line, rules.max_chars_per_line * rules.max_lines
    best = [0.0] + [math.inf] * len(tokens)
    previous = [0] * (len(tokens) + 1)
    for last in range(1, len(tokens) + 1):
        cut_cost = _cut_cost(tokens, last, rules) if last < len(tokens) else 0.0
        lines, top, chars, pauses = 1, len(tokens[last - 1].text), len(tokens[last - 1].text), 0.0
        spill = 0.0
        for first in range(last - 1, -1, -1):
            if first < last - 1:
                # Grow the cue by one token at the front; filling lines from the bottom
                # gives the fewest lines, like filling from the top would.
                token, after = tokens[first], tokens[first + 1]
                separator = 1 if after.space_before else 0
                chars += separator + len(token.text)
                if top + separator + len(token.text) <= width:
                    top += separator + len(token.text)
                else:
                    lines, top = lines + 1, len(token.text)
                gap = after.start - token.end
                if gap >= rules.pause_s:
                    pauses += _PAUSE_INSIDE + _PAUSE_INSIDE_PER_S * gap
                if cut_cost and _SENTENCE_END.search(token.text):
                    spill = _SENTENCE_SPILL
                if lines > rules.max_lines or tokens[last - 1].end - token.start > rules.max_duration_s:
                    break
            duration = tokens[last - 1].end - tokens[first].start
            short = max(0.0, rules.min_duration_s - duration) / rules.min_duration_s if rules.min_duration_s else 0.0
            cost = (
                best[first]
                + 1.0
                + cut_cost
                + pauses
                + spill
                + _TOO_SHORT * short
                + _UNDERFILLED * (1 - min(chars, capacity) / capacity) ** 2
            )
            if cost < best[last]:
                best[last], previous[last] = cost, first
    slices: list[tuple[int, int]] = []
    last = len(tokens)
    while last > 0:
        slices.append((previous[last], last))
        last = previous[last]
    return slices[::-1]


def _cut_cost(tokens: Sequence[_Token], at: int, rules: CueRules) -> float:
    """What cutting between ``tokens[at - 1]`` and ``tokens[at]`` costs."""
    before = tokens[at - 1]
    if _SENTENCE_END.search(before.text) or tokens[at].start - before.end >= rules.pause_s:
        return 0.0
    if _CLAUSE_END.search(before.text):
        return _CUT_AT_CLAUSE
    return _CUT_MID_SENTENCE


def _join(tokens: Sequence[_Token]) -> str:
    return "".join((" " if index and token.space_before else "") + token.text for index, token in enumerate(tokens))


def _lines(tokens: Sequence[_Token], rules: CueRules) -> tuple[str, ...]:
    """A cue's text on as few lines as fit, balanced, breaking after punctuation when it is close to balanced.

    The line count is the fewest that fit; among the breaks into that many lines,
    the one with the least deviation from equal lengths wins, a break after a
    sentence end or a clause is worth some imbalance, and a tie goes to the
    shorter top line (the usual pyramid shape).
    """
    width = rules.max_chars_per_line
    text = _join(tokens)
    if len(text) <= width or len(tokens) == 1:
        return (text,)
    count = 1
    length = 0
    for index, token in enumerate(tokens):
        added = len(token.text) + (1 if index and token.space_before else 0)
        if length and length + added > width:
            count, length = count + 1, len(token.text)
        else:
            length += added
    target = len(text) / count
    # offsets[k]: characters of tokens[:k] with their separators, so a line's length is a difference.
    offsets = [0]
    for token in tokens:
        offsets.append(offsets[-1] + len(token.text) + (1 if token.space_before else 0))

    def line_cost(first: int, last: int) -> float:
        length = offsets[last] - offsets[first] - (1 if tokens[first].space_before else 0)
        if length > width:
            return math.inf
        cost = abs(length - target)
        if last < len(tokens):
            cost += 0.01 * length
            if _SENTENCE_END.search(tokens[last - 1].text):
                cost -= _LINE_AT_SENTENCE
            elif _CLAUSE_END.search(tokens[last - 1].text):
                cost -= _LINE_AT_CLAUSE
        return cost

    n = len(tokens)
    # best[k][end]: the cheapest break of tokens[:end] into k lines, and where its last line starts.
    best = [[(math.inf, 0)] * (n + 1) for _ in range(count + 1)]
    best[0][0] = (0.0, 0)
    for k in range(1, count + 1):
        for end in range(k, n + 1):
            for start in range(end - 1, k - 2, -1):
                line = line_cost(start, end)
                if line == math.inf:
                    break
                if best[k - 1][start][0] + line < best[k][end][0]:
                    best[k][end] = (best[k - 1][start][0] + line, start)
    lines: list[str] = []
    end = n
    for k in range(count, 0, -1):
        start = best[k][end][1]
        lines.append(_join(tokens[start:end]))
        end = start
    return tuple(lines[::-1])


def _settle(timed: Sequence[tuple[float, float, tuple[str, ...]]], rules: CueRules, media_end_ms: int) -> list[Cue]:
    """Cues in whole milliseconds, in order, ending by the next cue's start, within the duration bounds.

    A cue shorter than ``min_duration_s`` is lengthened into the silence after it,
    up to the next cue's start (or the media's end).
    """
    min_ms, max_ms = round(rules.min_duration_s * 1000), round(rules.max_duration_s * 1000)
    # Overlapping segments (chunk seams) can start a cue before the previous one has
    # been shown; it waits until the previous one had its own duration, up to the minimum.
    starts: list[int] = []
    floor = 0
    for start_s, end_s, _ in timed:
        start = max(round(start_s * 1000), floor)
        starts.append(start)
        floor = start + min(max(round(end_s * 1000) - start, 0), min_ms)
    settled: list[Cue] = []
    for index, (start, (_, end_s, lines)) in enumerate(zip(starts, timed, strict=True)):
        next_start = starts[index + 1] if index + 1 < len(starts) else None
        end = min(round(end_s * 1000), start + max_ms)
        if next_start is not None:
            end = min(end, next_start)
            room = next_start
        else:
            room = max(media_end_ms, end) if media_end_ms > start else start + min_ms
        end = max(end, start, min(start + min_ms, room))
        settled.append(Cue(start, end, lines))
    return settled


def _timestamp(ms: int, separator: str) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"
