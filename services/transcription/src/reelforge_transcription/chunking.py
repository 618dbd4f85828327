"""Long media in pieces: where to cut, how to read a piece, how to put the pieces together.

Cuts fall in silences (found by Silero VAD), so no word is split between
two chunks; each chunk is transcribed on its own and its segments are moved
to their place in the whole media before the transcript is stitched.
"""

from __future__ import annotations

import itertools
import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from reelforge_transcription.transcript import Transcript

Span = tuple[float, float]


def plan_chunks(speech: Sequence[Span], duration_s: float, *, target_s: float, search_s: float) -> list[Span]:
    """Chunks of about ``target_s`` covering ``[0, duration_s]``, each cut in
    the middle of the longest silence within ``search_s`` of where a cut is
    due (at the due point itself when that window holds no silence)."""
    silences = _gaps(speech, duration_s)
    cuts: list[float] = []
    start = 0.0
    while duration_s - start > target_s * 1.5:
        due = start + target_s
        nearby = [(b - a, (a + b) / 2) for a, b in silences if a < due + search_s and b > due - search_s]
        cut = max(nearby)[1] if nearby else due
        cut = min(max(cut, start + target_s / 2), duration_s - target_s / 2)
        cuts.append(cut)
        start = cut
    edges = [0.0, *cuts, duration_s]
    return list(itertools.pairwise(edges))


def _gaps(speech: Sequence[Span], duration_s: float) -> list[Span]:
    gaps, position = [], 0.0
    for begin, end in sorted(speech):
        if begin > position:
            gaps.append((position, begin))
        position = max(position, end)
    if position < duration_s:
        gaps.append((position, duration_s))
    return gaps


@dataclass(frozen=True)
class WavLayout:
    """Where the samples of a PCM WAV file start, and their format."""

    data_offset: int
    sample_rate: int
    channels: int
    bytes_per_sample: int

    def byte_range(self, start_s: float, end_s: float) -> tuple[int, int]:
        """(offset, length) of the samples between two times."""
        frame = self.channels * self.bytes_per_sample
        first = int(start_s * self.sample_rate)
        last = int(end_s * self.sample_rate)
        return self.data_offset + first * frame, (last - first) * frame

    def samples(self, data: bytes) -> NDArray[np.float32]:
        """16-bit PCM bytes as mono float32 in [-1, 1]."""
        if self.bytes_per_sample != 2:
            raise ValueError(f"expected 16-bit PCM, got {8 * self.bytes_per_sample}-bit")
        pcm = np.frombuffer(data[: len(data) - len(data) % (2 * self.channels)], dtype="<i2")
        mono = pcm.reshape(-1, self.channels).mean(axis=1) if self.channels > 1 else pcm
        return (mono / 32768.0).astype(np.float32)


def wav_layout(head: bytes) -> WavLayout:
    """The layout of a RIFF/WAVE file from its first bytes (its ``fmt `` and
    the start of its ``data`` chunk must be in them)."""
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE file")
    position, fmt = 12, None
    while position + 8 <= len(head):
        name, size = head[position : position + 4], struct.unpack("<I", head[position + 4 : position + 8])[0]
        if name == b"fmt ":
            audio_format, channels, rate, _, _, bits = struct.unpack("<HHIIHH", head[position + 8 : position + 24])
            if audio_format not in (1, 0xFFFE):
                raise ValueError(f"not PCM (format {audio_format})")
            fmt = (rate, channels, bits // 8)
        elif name == b"data":
            if fmt is None:
                raise ValueError("data before fmt")
            return WavLayout(position + 8, *fmt)
        position += 8 + size + size % 2
    raise ValueError("no data chunk in the first bytes")


def stitch(pieces: Sequence[Transcript], *, duration_s: float, model: str) -> Transcript:
    """One transcript from chunk transcripts whose times are already absolute.

    The language is the one most of the speech was detected in (weighted by
    segment durations), with the mean probability of the chunks that said so.
    """
    segments = tuple(segment for piece in pieces for segment in piece.segments)
    spoken: dict[str, float] = {}
    for piece in pieces:
        if piece.language:
            talk = sum(segment.end - segment.start for segment in piece.segments)
            spoken[piece.language] = spoken.get(piece.language, 0.0) + talk
    language = max(spoken, key=spoken.__getitem__) if spoken else ""
    agreeing = [piece.language_probability for piece in pieces if piece.language == language and piece.segments]
    return Transcript(
        language=language,
        language_probability=sum(agreeing) / len(agreeing) if agreeing else 0.0,
        duration_s=duration_s,
        segments=segments,
        model=model,
    )
