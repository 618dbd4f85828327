"""Pose analyses and comparisons as the API serves them, as frozen dataclasses.

Like the other models, each keeps the JSON it was parsed from in ``raw``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reelforge_sdk.models import JSON, ErrorInfo


@dataclass(frozen=True)
class PoseAnalysis:
    """An asset's pose analysis. ``no_person``: nobody was found (completed, not failed)."""

    id: str
    asset_id: str
    job_id: str | None
    status: str
    sample_fps: float
    frames_analysed: int
    frames_with_person: int
    people_seen: int
    mean_visibility: float
    no_person: bool
    duration_s: float
    error: ErrorInfo | None
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JSON) -> PoseAnalysis:
        return cls(
            id=data["id"],
            asset_id=data["asset_id"],
            job_id=data.get("job_id"),
            status=data["status"],
            sample_fps=float(data["sample_fps"]),
            frames_analysed=int(data["frames_analysed"]),
            frames_with_person=int(data["frames_with_person"]),
            people_seen=int(data["people_seen"]),
            mean_visibility=float(data["mean_visibility"]),
            no_person=bool(data["no_person"]),
            duration_s=float(data["duration_s"]),
            error=ErrorInfo.from_json(data.get("error")),
            raw=data,
        )


@dataclass(frozen=True)
class PoseSignals:
    """The main subject frame by frame: ``subject_boxes`` (``None`` where out of
    frame; else x, y, width, height in fractions of the frame and ``observed``),
    ``motion_energy`` per second and ``joint_angles`` by joint (``None`` where hidden)."""

    asset_id: str
    sample_fps: float
    times_s: tuple[float, ...]
    subject_boxes: tuple[dict[str, Any] | None, ...]
    motion_energy: tuple[float, ...]
    joint_angles: dict[str, tuple[float | None, ...]]
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JSON) -> PoseSignals:
        return cls(
            asset_id=data["asset_id"],
            sample_fps=float(data["sample_fps"]),
            times_s=tuple(data["times_s"]),
            subject_boxes=tuple(data["subject_boxes"]),
            motion_energy=tuple(data["motion_energy"]),
            joint_angles={joint: tuple(values) for joint, values in data["joint_angles"].items()},
            raw=data,
        )


@dataclass(frozen=True)
class Feedback:
    """What a segment does differently, e.g. "left knee bends 25° less than the reference at 0:03-0:05"."""

    joint: str
    direction: str
    degrees: float
    attempt_start_s: float
    attempt_end_s: float
    text: str
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JSON) -> Feedback:
        return cls(
            joint=data["joint"],
            direction=data["direction"],
            degrees=float(data["degrees"]),
            attempt_start_s=float(data["attempt_start_s"]),
            attempt_end_s=float(data["attempt_end_s"]),
            text=data["text"],
            raw=data,
        )


@dataclass(frozen=True)
class ComparisonSegment:
    reference_start_s: float
    reference_end_s: float
    attempt_start_s: float
    attempt_end_s: float
    score: float
    weak: bool
    feedback: tuple[Feedback, ...]
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JSON) -> ComparisonSegment:
        return cls(
            reference_start_s=float(data["reference_start_s"]),
            reference_end_s=float(data["reference_end_s"]),
            attempt_start_s=float(data["attempt_start_s"]),
            attempt_end_s=float(data["attempt_end_s"]),
            score=float(data["score"]),
            weak=bool(data["weak"]),
            feedback=tuple(Feedback.from_json(item) for item in data["feedback"]),
            raw=data,
        )


@dataclass(frozen=True)
class Comparison:
    """An attempt scored against a reference (0 to 100), per segment, with feedback."""

    id: str
    job_id: str
    status: str
    reference_asset_id: str
    attempt_asset_id: str
    score: float | None
    mirrored: bool
    segments: tuple[ComparisonSegment, ...]
    feedback: tuple[Feedback, ...]
    error: ErrorInfo | None
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JSON) -> Comparison:
        return cls(
            id=data["id"],
            job_id=data["job_id"],
            status=data["status"],
            reference_asset_id=data["reference_asset_id"],
            attempt_asset_id=data["attempt_asset_id"],
            score=None if data.get("score") is None else float(data["score"]),
            mirrored=bool(data["mirrored"]),
            segments=tuple(ComparisonSegment.from_json(s) for s in data["segments"]),
            feedback=tuple(Feedback.from_json(item) for item in data["feedback"]),
            error=ErrorInfo.from_json(data.get("error")),
            raw=data,
        )


@dataclass(frozen=True)
class ComparisonVideo:
    """A video of a comparison (reference and attempt side by side);
    ``video_url`` is presigned once it has completed."""

    id: str
    job_id: str
    comparison_id: str
    status: str
    duration: float
    video_url: str | None
    error: ErrorInfo | None
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JSON) -> ComparisonVideo:
        return cls(
            id=data["id"],
            job_id=data["job_id"],
            comparison_id=data["comparison_id"],
            status=data["status"],
            duration=float(data["duration"]),
            video_url=data.get("video_url"),
            error=ErrorInfo.from_json(data.get("error")),
            raw=data,
        )


@dataclass(frozen=True)
class Recording:
    """One attempt of a practice session and its comparison with the reference."""

    id: str
    position: int
    asset_id: str
    reference_start_s: float
    reference_end_s: float
    comparison_id: str
    # The comparison's job (kind "compare").
    job_id: str
    status: str
    score: float
    feedback: tuple[Feedback, ...]

    @classmethod
    def from_json(cls, data: JSON) -> Recording:
        return cls(
            id=data["id"],
            position=int(data["position"]),
            asset_id=data["asset_id"],
            reference_start_s=float(data["reference_start_s"]),
            reference_end_s=float(data["reference_end_s"]),
            comparison_id=data["comparison_id"],
            job_id=data["job_id"],
            status=data["status"],
            score=float(data["score"]),
            feedback=tuple(Feedback.from_json(item) for item in data["feedback"]),
        )


@dataclass(frozen=True)
class PracticeSession:
    id: str
    name: str
    reference_asset_id: str
    recordings: tuple[Recording, ...]
    # The completed recordings' scores, weighted by their length.
    score: float
    completed: int
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JSON) -> PracticeSession:
        return cls(
            id=data["id"],
            name=data["name"],
            reference_asset_id=data["reference_asset_id"],
            recordings=tuple(Recording.from_json(r) for r in data["recordings"]),
            score=float(data["score"]),
            completed=int(data["completed"]),
            raw=data,
        )


@dataclass(frozen=True)
class SessionExport:
    id: str
    job_id: str
    session_id: str
    kind: str
    status: str
    duration: float
    video_url: str | None
    error: ErrorInfo | None
    raw: JSON = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: JSON) -> SessionExport:
        return cls(
            id=data["id"],
            job_id=data["job_id"],
            session_id=data["session_id"],
            kind=data["kind"],
            status=data["status"],
            duration=float(data["duration"]),
            video_url=data.get("video_url"),
            error=ErrorInfo.from_json(data.get("error")),
            raw=data,
        )
