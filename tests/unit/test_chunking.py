"""Cutting long media at silences, reading a piece of a WAV, stitching pieces back."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from reelforge_transcription.chunking import plan_chunks, stitch, wav_layout
from reelforge_transcription.transcript import Segment, Transcript, Word


def test_cuts_fall_in_the_longest_nearby_silence_and_cover_the_media() -> None:
    # Speech everywhere but pauses at 290-294 s (4 s), 305-306 s (1 s) and 620-623 s.
    speech = [(0.0, 290.0), (294.0, 305.0), (306.0, 620.0), (623.0, 1000.0)]
    spans = plan_chunks(speech, 1000.0, target_s=300.0, search_s=30.0)
    # Each cut in the middle of the longest silence near where it is due; the
    # last chunk takes the rest rather than leave a short tail.
    assert spans == [(0.0, 292.0), (292.0, 621.5), (621.5, 1000.0)]


def test_without_silence_the_cut_is_where_it_is_due_and_short_media_is_one_chunk() -> None:
    assert plan_chunks([(0.0, 1000.0)], 1000.0, target_s=300.0, search_s=30.0) == [
        (0.0, 300.0),
        (300.0, 600.0),
        (600.0, 1000.0),
    ]
    assert plan_chunks([], 400.0, target_s=300.0, search_s=30.0) == [(0.0, 400.0)]


def wav_bytes(samples: np.ndarray, rate: int = 16000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(rate)
        file.writeframes(samples.astype("<i2").tobytes())
    return out.getvalue()


def test_a_time_range_of_a_wav_is_read_from_its_bytes() -> None:
    ramp = np.arange(16000 * 3, dtype=np.int32) % 30000
    data = wav_bytes(ramp)
    layout = wav_layout(data[:4096])
    assert (layout.sample_rate, layout.channels, layout.bytes_per_sample) == (16000, 1, 2)
    offset, length = layout.byte_range(1.0, 2.5)
    samples = layout.samples(data[offset : offset + length])
    expected = (ramp[16000:40000] / 32768.0).astype(np.float32)
    np.testing.assert_array_equal(samples, expected)
    with pytest.raises(ValueError, match="RIFF"):
        wav_layout(b"ID3" + bytes(100))


def test_pieces_are_stitched_in_order_with_the_language_most_speech_was_in() -> None:
    def piece(language: str, probability: float, *spans: tuple[float, float]) -> Transcript:
        segments = tuple(Segment(a, b, f"at {a}", (Word(f"at {a}", a, b, 0.9),)) for a, b in spans)
        return Transcript(language=language, language_probability=probability, duration_s=0, segments=segments)

    whole = stitch(
        [piece("en", 0.9, (0, 100)), piece("de", 0.6, (300, 310)), piece("en", 0.7, (600, 650))],
        duration_s=700.0,
        model="base",
    )
    assert [segment.start for segment in whole.segments] == [0, 300, 600]
    assert (whole.language, whole.duration_s, whole.model) == ("en", 700.0, "base")
    assert whole.language_probability == pytest.approx(0.8)
    assert stitch([], duration_s=5.0, model="base").language == ""
