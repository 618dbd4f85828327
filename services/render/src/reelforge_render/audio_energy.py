"""Speech loudness through time, from ingest's 16 kHz mono WAV."""

from __future__ import annotations

import io
import wave

import numpy as np

HOP_S = 0.5
_SILENCE_DB = -90.0


def energy_db(wav: bytes, hop_s: float = HOP_S) -> np.ndarray:
    """RMS level in dBFS of each ``hop_s`` of a 16-bit PCM WAV (-90 for digital silence)."""
    with wave.open(io.BytesIO(wav)) as reader:
        if reader.getsampwidth() != 2:
            raise ValueError("expected 16-bit PCM audio")
        rate, channels = reader.getframerate(), reader.getnchannels()
        samples = np.frombuffer(reader.readframes(reader.getnframes()), "<i2").astype(np.float32) / 32768.0
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    hop = max(1, round(rate * hop_s))
    count = int(np.ceil(len(samples) / hop))
    padded = np.zeros(count * hop, np.float32)
    padded[: len(samples)] = samples
    rms = np.sqrt((padded.reshape(count, hop) ** 2).mean(axis=1))
    with np.errstate(divide="ignore"):
        levels = 20 * np.log10(rms)
    floored: np.ndarray = np.maximum(levels, _SILENCE_DB)
    return floored
