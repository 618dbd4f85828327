"""Render settings (``REELFORGE_*`` plus the service's own)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from reelforge_common.settings import ServiceSettings

_X264_PRESETS = r"^(ultrafast|superfast|veryfast|faster|fast|medium|slow|slower|veryslow)$"


class RenderSettings(ServiceSettings):
    # gRPC addresses of the services a clip job asks for its analyses.
    transcription_target: str = "127.0.0.1:17020"
    pose_target: str = "127.0.0.1:17030"
    internal_call_timeout_s: float = Field(default=60.0, gt=0)
    # Frames per second of the pose analysis a clip job asks for: enough to
    # follow a speaker and measure motion, far cheaper than the default.
    clip_pose_fps: float = Field(default=1.0, gt=0, le=15)
    # Clip jobs planned and rendered at once per replica (each runs FFmpeg).
    render_concurrency: int = Field(default=1, ge=1)
    # Seconds before the job of a replica that died goes to another replica.
    job_ack_wait_s: float = Field(default=120.0, ge=5.0)
    # Threads per FFmpeg; 0 lets FFmpeg choose.
    ffmpeg_threads: int = Field(default=0, ge=0)
    # x264/x265 speed preset (ultrafast ... veryslow): speed against size.
    encoder_preset: str = Field(default="veryfast", pattern=_X264_PRESETS)
    # Integrated loudness of every clip (EBU R128), LUFS; true peak at most -1.5 dBTP.
    loudness_lufs: float = Field(default=-14.0, ge=-40, le=-5)
    # Lifetime of the presigned URLs in a clip job's manifest.
    url_expiry_s: int = Field(default=3600, ge=60, le=3600)
    # Re-rank the best moments, and title them with hashtags, with the
    # deployment's language model (aigen's chat completions, charged to the
    # tenant's AI budget); off: the offline ranking and keyphrase titles.
    llm_ranking: bool = False
    # gRPC address of ingest, where extracted frames are uploaded as assets.
    ingest_target: str = "127.0.0.1:17010"
    # gRPC address of aigen (the language model, when llm_ranking is on).
    aigen_target: str = "127.0.0.1:17040"
    # Local scratch space (the original being cut, clips being made). Empty: the system's temp folder.
    work_dir: Path | None = None
