"""The speech-to-text engine: faster-whisper (CTranslate2 Whisper) with Silero VAD.

The engine is CPU-bound and synchronous: ``Engine.transcribe`` holds its
calling thread for the whole decode (a few seconds per minute of speech for
``base`` int8 on two cores). The service runs it in a worker thread
(``asyncio.to_thread`` or an executor with ``num_workers`` threads) so the
event loop keeps serving; CTranslate2 releases the GIL while it computes, and
with ``num_workers > 1`` that many calls decode in parallel on one loaded model.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.vad import VadOptions, get_speech_timestamps
from numpy.typing import NDArray

from reelforge_transcription.models import BASE, block_hub_access, resolve_model
from reelforge_transcription.transcript import Segment, Transcript, Word

SAMPLE_RATE = 16_000

logger = logging.getLogger(__name__)

Audio = Path | str | NDArray[np.float32]
ProgressCallback = Callable[[float], None]


class UnsupportedLanguageError(ValueError):
    """A requested language code the loaded model cannot transcribe (the API's 422 ``unsupported_language``)."""

    code = "unsupported_language"

    def __init__(self, language: str, supported: Iterable[str]) -> None:
        self.language = language
        self.supported = tuple(supported)
        super().__init__(f"language {language!r} is not supported; expected one of {', '.join(self.supported)}")


@dataclass(frozen=True)
class VadConfig:
    """Silero VAD settings: speech is cut out of the audio before Whisper sees it."""

    # Silero's own default speech probability; 0.5 is good on most material.
    threshold: float = 0.5
    # Speech bursts shorter than this are clicks and breaths, not words (Silero's default).
    min_speech_duration_ms: int = 250
    # Pauses longer than this are removed. Whisper invents text in long silences ("Thank you.",
    # "You"); faster-whisper's 2 s default keeps pauses up to 2 s for it to fill.
    min_silence_duration_ms: int = 500
    # Padding kept around speech so word onsets and trailing consonants are not clipped.
    speech_pad_ms: int = 400

    def options(self) -> VadOptions:
        return VadOptions(
            threshold=self.threshold,
            min_speech_duration_ms=self.min_speech_duration_ms,
            min_silence_duration_ms=self.min_silence_duration_ms,
            speech_pad_ms=self.speech_pad_ms,
        )


@dataclass(frozen=True, kw_only=True)
class EngineConfig:
    """How the engine loads its model and decodes.

    The decoding defaults guard against Whisper's repetition loops and
    hallucinations (faster-whisper issue #506: the same words repeated with
    high confidence, worst in silence and in long media).
    """

    model: str = BASE
    # Where bundled models that must be assembled (base) are written once.
    model_cache: Path
    # Off: only bundled models and local directories load, and the hub client is put in offline mode.
    allow_downloads: bool = False
    device: str = "cpu"
    compute_type: str = "int8"
    beam_size: int = 5
    # 0 lets CTranslate2 choose (OMP_NUM_THREADS, else 4).
    cpu_threads: int = 0
    # Parallel transcribe() calls the one loaded model serves.
    num_workers: int = 1
    vad: VadConfig = field(default_factory=VadConfig)
    # Off: each 30 s window is decoded without the previous window's text as prompt. Feeding a
    # repetition back as the prompt is what turns one bad window into a loop for the rest of the
    # media (faster-whisper documents the option as the cure for "repetition looping"). The cost
    # is slightly less consistent spelling and punctuation across windows.
    condition_on_previous_text: bool = False
    # Whisper's fallback: a window that fails the two thresholds below is decoded again at the
    # next temperature. Without the later temperatures the thresholds only detect, never repair:
    # with hotwords on a 3 s clip, greedy decoding alone loops ("7 of hearts hearts hearts ...").
    temperatures: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    # gzip ratio of a window's text above this means repetitive text: decode it again.
    compression_ratio_threshold: float | None = 2.4
    # Mean token log probability below this means the decoder was guessing: decode it again.
    log_prob_threshold: float | None = -1.0
    # A window more likely silence than this (and below log_prob_threshold) is dropped as silent.
    no_speech_threshold: float | None = 0.6
    # With word timings, a likely hallucination next to a silence longer than this many seconds
    # is skipped (the openai-whisper heuristic); catches what VAD padding lets through.
    hallucination_silence_threshold: float | None = 2.0
    # Kept neutral: real speech repeats itself ("ask what you can do for your country", a caller's
    # "five five"), and penalising repeats rewrites it. At 1.2 base turned JFK's second "ask what
    # you can do" into "Ask but You Can Do" and made 10% of the LibriVox words wrong (1% at 1.0).
    # The temperature fallback above is what breaks real loops.
    repetition_penalty: float = 1.0
    # Off: at size n it forbids any n tokens from recurring within a 30 s window, which ordinary
    # speech does ("one of the", "you know, you know").
    no_repeat_ngram_size: int = 0

    def decoding(self) -> dict[str, Any]:
        """The keyword arguments of ``WhisperModel.transcribe`` these settings make."""
        return {
            "beam_size": self.beam_size,
            "temperature": list(self.temperatures),
            "compression_ratio_threshold": self.compression_ratio_threshold,
            "log_prob_threshold": self.log_prob_threshold,
            "no_speech_threshold": self.no_speech_threshold,
            "condition_on_previous_text": self.condition_on_previous_text,
            "hallucination_silence_threshold": self.hallucination_silence_threshold,
            "repetition_penalty": self.repetition_penalty,
            "no_repeat_ngram_size": self.no_repeat_ngram_size,
            "vad_filter": True,
            "vad_parameters": self.vad.options(),
        }


class Engine:
    """Transcribes audio with one faster-whisper model loaded at construction.

    Construction resolves and loads the model (joining the bundled ``base``
    once into ``model_cache``); with ``allow_downloads`` off it also puts the
    process's Hugging Face hub client in offline mode, so no code path reaches
    the hub by default. Thread-safe: see the module docstring.
    """

    def __init__(self, config: EngineConfig) -> None:
        if not config.allow_downloads:
            block_hub_access()
        resolved = resolve_model(config.model, cache_dir=config.model_cache, allow_downloads=config.allow_downloads)
        self.config = config
        self._model = WhisperModel(
            resolved.source,
            device=config.device,
            compute_type=config.compute_type,
            cpu_threads=config.cpu_threads,
            num_workers=config.num_workers,
            download_root=str(config.model_cache / "hub"),
            local_files_only=not config.allow_downloads,
        )
        self._languages = tuple(str(code) for code in self._model.supported_languages)
        logger.info("loaded speech model %s from %s", config.model, resolved.source)

    @property
    def model_name(self) -> str:
        return self.config.model

    def supported_languages(self) -> tuple[str, ...]:
        """The language codes the loaded model transcribes (``("en",)`` for an English-only model)."""
        return self._languages

    def check_language(self, language: str) -> str:
        """``language`` normalised to the model's code, or ``UnsupportedLanguageError``."""
        code = language.strip().lower()
        if code not in self._languages:
            raise UnsupportedLanguageError(language, self._languages)
        return code

    def transcribe(
        self,
        audio: Audio,
        *,
        language: str | None = None,
        prompt: str | None = None,
        hotwords: str | None = None,
        word_timestamps: bool = True,
        on_progress: ProgressCallback | None = None,
    ) -> Transcript:
        """Transcribe ``audio``: a 16 kHz mono WAV file, or float32 samples at 16 kHz in [-1, 1].

        ``language`` forces the language (else it is detected from the first
        30 s of speech); ``prompt`` is text that precedes the first window
        (spelling, style); ``hotwords`` are words and names the decoder should
        favour. ``on_progress`` gets the fraction of the media transcribed as
        segments arrive, in the calling thread. Media without speech gives a
        transcript with no segments, the forced language or ``""``, and
        probability 0.
        """
        code = self.check_language(language) if language is not None else None
        source = _audio_source(audio)
        config = self.config
        raw_segments, info = self._model.transcribe(
            source,
            language=code,
            initial_prompt=prompt or None,
            hotwords=hotwords or None,
            word_timestamps=word_timestamps,
            **config.decoding(),
        )
        duration = float(info.duration)
        segments: list[Segment] = []
        # The segments are a generator: decoding happens while iterating.
        for raw in raw_segments:
            segment = _segment(raw)
            if segment.text:
                segments.append(segment)
            if on_progress is not None and duration > 0:
                on_progress(min(1.0, float(raw.end) / duration))
        if on_progress is not None:
            on_progress(1.0)
        if segments:
            detected, probability = str(info.language), float(info.language_probability)
        else:
            # Detection on no speech is noise (it says "en" at ~0.57 for digital silence).
            detected, probability = code or "", 0.0
        return Transcript(
            language=detected,
            language_probability=probability,
            duration_s=duration,
            segments=tuple(segments),
            model=config.model,
        )


def speech_spans(samples: NDArray[np.float32], vad: VadConfig | None = None) -> list[tuple[float, float]]:
    """Where speech is in 16 kHz samples, in seconds (Silero VAD, the engine's
    settings): the silences between are where long media is cut."""
    options = (vad or VadConfig()).options()
    return [
        (span["start"] / SAMPLE_RATE, span["end"] / SAMPLE_RATE)
        for span in get_speech_timestamps(samples, options, sampling_rate=SAMPLE_RATE)
    ]


def _audio_source(audio: Audio) -> str | NDArray[np.float32]:
    if isinstance(audio, np.ndarray):
        if audio.dtype != np.float32 or audio.ndim != 1:
            raise ValueError(f"audio samples must be 1-D float32 at {SAMPLE_RATE} Hz, not {audio.ndim}-D {audio.dtype}")
        return audio
    path = Path(audio)
    if not path.is_file():
        raise FileNotFoundError(f"audio file {str(path)!r} does not exist")
    return str(path)


def _segment(raw: Any) -> Segment:
    """Our segment from faster-whisper's, its word timings made monotonic and kept inside it."""
    start, end = float(raw.start), float(raw.end)
    words: list[Word] = []
    floor = start
    for raw_word in raw.words or ():
        text = str(raw_word.word).strip()
        if not text:
            continue
        word_start = min(max(float(raw_word.start), floor), end)
        word_end = min(max(float(raw_word.end), word_start), end)
        words.append(Word(text, word_start, word_end, float(raw_word.probability)))
        floor = word_end
    return Segment(
        start=start,
        end=end,
        text=str(raw.text).strip(),
        words=tuple(words),
        avg_logprob=float(raw.avg_logprob),
        no_speech_prob=float(raw.no_speech_prob),
    )
