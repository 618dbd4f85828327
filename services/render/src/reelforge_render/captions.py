"""Captions from word timings: cues, burned-in ASS in three styles, and SRT.

Words are grouped into cues of at most two lines that fit the frame (with
5% side margins), cut at sentence ends, pauses and after three seconds.
Styles:

- ``highlight``: the cue stays up while each word lights up as it is said;
- ``pop``: one word at a time, large, popping in;
- ``classic``: the cue on a translucent box, as broadcast subtitles.

Positions keep inside the safe area: 12% from the bottom, 10% from the top,
or the middle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reelforge_render.sentences import Word

_MAX_CUE_S = 3.0
_PAUSE_S = 0.6
_LINES = 2
_FONT = "DejaVu Sans"
# Average glyph width of the bold font, as a fraction of its size.
_GLYPH = 0.6
_WHITE, _YELLOW, _BLACK = "&H00FFFFFF", "&H0000E5FF", "&H00000000"


@dataclass(frozen=True)
class Cue:
    words: tuple[Word, ...]
    lines: tuple[tuple[Word, ...], ...]

    @property
    def start(self) -> float:
        return self.words[0].start

    @property
    def end(self) -> float:
        return self.words[-1].end


def font_size(width: int, height: int, style: str) -> int:
    base = min(width, height) * (0.085 if style == "pop" else 0.065)
    return max(12, round(base))


def clip_words(words: Sequence[Word], start_s: float, end_s: float) -> list[Word]:
    """The words said within [start_s, end_s], timed from start_s."""
    return [
        Word(word.text, max(word.start - start_s, 0.0), min(word.end, end_s) - start_s)
        for word in words
        if word.start >= start_s - 1e-6 and word.end <= end_s + 1e-6
    ]


def cues(words: Sequence[Word], *, max_chars: int) -> list[Cue]:
    """Words grouped into cues of at most two lines of ``max_chars``."""
    found: list[Cue] = []
    lines: list[list[Word]] = [[]]

    def close() -> None:
        nonlocal lines
        if lines[0]:
            done = tuple(tuple(line) for line in lines if line)
            found.append(Cue(tuple(w for line in done for w in line), done))
        lines = [[]]

    for index, word in enumerate(words):
        line = lines[-1]
        length = sum(len(w.text) + 1 for w in line) + len(word.text)
        if line and length > max_chars:
            if len(lines) == _LINES:
                close()
            else:
                lines.append([])
        lines[-1].append(word)
        first = lines[0][0]
        following = words[index + 1] if index + 1 < len(words) else None
        if (
            following is None
            or word.text.endswith((".", "?", "!"))
            or following.start - word.end >= _PAUSE_S
            or following.end - first.start > _MAX_CUE_S
        ):
            close()
    return found


def ass_clock(seconds: float) -> str:
    """ASS time: h:mm:ss.cc."""
    centis = max(0, round(seconds * 100))
    hours, rest = divmod(centis, 360000)
    minutes, rest = divmod(rest, 6000)
    return f"{hours}:{minutes:02d}:{rest // 100:02d}.{rest % 100:02d}"


def ass_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("{", "(").replace("}", ")")


def _placement(position: str, height: int) -> tuple[int, int]:
    """(ASS numpad alignment, vertical margin in pixels)."""
    if position == "top":
        return 8, round(0.10 * height)
    if position == "middle":
        return 5, 0
    return 2, round(0.12 * height)


def _text(lines: Sequence[Sequence[Word]], lit: Word | None = None) -> str:
    rendered = []
    for line in lines:
        words = [
            f"{{\\c{_YELLOW}&}}{ass_escape(w.text)}{{\\c{_WHITE}&}}" if w is lit else ass_escape(w.text) for w in line
        ]
        rendered.append(" ".join(words))
    return "\\N".join(rendered)


def ass_document(words: Sequence[Word], *, width: int, height: int, style: str, position: str) -> str:
    """A complete ASS script burning ``words`` (timed from the clip's start) into a width x height video."""
    size = font_size(width, height, style)
    margin_lr = round(0.05 * width)
    max_chars = max(8, int((width - 2 * margin_lr) / (size * _GLYPH)))
    alignment, margin_v = _placement(position, height)
    if style == "classic":
        border, outline, back = 3, max(2, size // 6), "&H80000000"
    else:
        border, outline, back = 1, max(2, size // 12), _BLACK
    header = (
        "[Script Info]\nScriptType: v4.00+\nWrapStyle: 2\nScaledBorderAndShadow: yes\n"
        f"PlayResX: {width}\nPlayResY: {height}\n\n[V4+ Styles]\n"
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, "
        "Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, "
        "MarginL, MarginR, MarginV, Encoding\n"
        f"Style: Caption,{_FONT},{size},{_WHITE},{_YELLOW},{_BLACK},{back},-1,0,0,0,100,100,0,0,"
        f"{border},{outline},1,{alignment},{margin_lr},{margin_lr},{margin_v},1\n\n"
        "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
    )
    events = []

    def dialogue(start: float, end: float, text: str) -> None:
        if end > start:
            events.append(f"Dialogue: 0,{ass_clock(start)},{ass_clock(end)},Caption,,0,0,0,,{text}")

    for cue in cues(words, max_chars=max_chars):
        if style == "pop":
            for word in cue.words:
                pop = "{\\fscx70\\fscy70\\t(0,120,\\fscx100\\fscy100)}"
                dialogue(word.start, max(word.end, word.start + 0.2), pop + ass_escape(word.text))
        elif style == "highlight":
            for index, word in enumerate(cue.words):
                until = cue.words[index + 1].start if index + 1 < len(cue.words) else cue.end
                dialogue(cue.start if index == 0 else word.start, until, _text(cue.lines, lit=word))
        else:
            dialogue(cue.start, cue.end, _text(cue.lines))
    return header + "\n".join(events) + "\n"


def _srt_clock(seconds: float) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3600000)
    minutes, rest = divmod(rest, 60000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d},{rest % 1000:03d}"


def srt_document(words: Sequence[Word], *, max_chars: int = 42) -> str:
    """SubRip subtitles of ``words`` (timed from the clip's start)."""
    blocks = []
    for number, cue in enumerate(cues(words, max_chars=max_chars), start=1):
        text = "\n".join(" ".join(w.text for w in line) for line in cue.lines)
        blocks.append(f"{number}\n{_srt_clock(cue.start)} --> {_srt_clock(cue.end)}\n{text}\n")
    return "\n".join(blocks)
