"""The analyses a clip job needs, from the services that own them (gRPC)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import grpc
import numpy as np

from reelforge.pose.v1 import pose_pb2, pose_pb2_grpc
from reelforge.transcription.v1 import transcription_pb2, transcription_pb2_grpc
from reelforge_common.grpc_server import insecure_channel
from reelforge_render.reframe import SubjectTrack
from reelforge_render.side_by_side import Landmarks

_MAX_EMBED = 2000


@dataclass(frozen=True)
class PoseSignals:
    subject: SubjectTrack
    # Motion energy per second of media.
    motion: np.ndarray


class Analyses:
    """Clients of the transcription and pose services."""

    def __init__(self, transcription_target: str, pose_target: str, timeout_s: float) -> None:
        self._channels = [insecure_channel(transcription_target), insecure_channel(pose_target)]
        self._transcription = transcription_pb2_grpc.TranscriptionStub(self._channels[0])
        self._pose = pose_pb2_grpc.PoseStub(self._channels[1])
        self._timeout = timeout_s

    async def close(self) -> None:
        for channel in self._channels:
            await channel.close()

    async def finished_transcript(
        self, *, tenant_id: str, asset_id: str, transcript_id: str = ""
    ) -> dict[str, Any] | None:
        """The asset's latest transcript document (or the one ``transcript_id``
        names), if it has completed."""
        request = transcription_pb2.GetTranscriptRequest(
            tenant_id=tenant_id, asset_id=asset_id, transcript_id=transcript_id
        )
        try:
            document = await self._transcription.GetTranscript(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as exc:
            if exc.code() in {grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION}:
                return None
            raise
        found: dict[str, Any] = json.loads(document.body)
        found["transcript_id"] = document.transcript_id
        return found

    async def request_transcription(self, *, tenant_id: str, job_id: str, asset_id: str, language: str) -> str:
        request = transcription_pb2.TranscriptionRequest(
            tenant_id=tenant_id, job_id=job_id, asset_id=asset_id, language=language, word_timestamps=True
        )
        accepted = await self._transcription.RequestTranscription(request, timeout=self._timeout)
        return str(accepted.transcript_id)

    async def embed(self, texts: list[str]) -> np.ndarray:
        """Unit sentence embeddings of ``texts``, (len(texts), dimensions)."""
        rows: list[list[float]] = []
        for first in range(0, len(texts), _MAX_EMBED):
            request = transcription_pb2.EmbedRequest(texts=texts[first : first + _MAX_EMBED])
            found = await self._transcription.EmbedTexts(request, timeout=self._timeout)
            rows += [list(embedding.values) for embedding in found.embeddings]
        return np.array(rows, np.float32)

    async def finished_pose(self, *, tenant_id: str, asset_id: str) -> str | None:
        """The id of the asset's latest completed pose analysis, if any."""
        request = pose_pb2.GetPoseAnalysisRequest(tenant_id=tenant_id, asset_id=asset_id)
        try:
            found = await self._pose.GetPoseAnalysis(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise
        return str(found.id) if found.status == "completed" else None

    async def request_pose(self, *, tenant_id: str, job_id: str, asset_id: str, fps: float) -> str:
        request = pose_pb2.PoseAnalysisRequest(
            tenant_id=tenant_id, job_id=job_id, asset_id=asset_id, sample_fps=fps, max_people=2
        )
        accepted = await self._pose.RequestPoseAnalysis(request, timeout=self._timeout)
        return str(accepted.analysis_id)

    async def pose_signals(self, *, tenant_id: str, asset_id: str) -> PoseSignals:
        request = pose_pb2.GetPoseAnalysisRequest(tenant_id=tenant_id, asset_id=asset_id)
        found = await self._pose.GetPoseSignals(request, timeout=self._timeout)
        boxes = found.subject_boxes
        subject = SubjectTrack(
            times=np.array(found.times_s, np.float64),
            centre_x=np.array([box.x + box.width / 2 for box in boxes], np.float64),
            centre_y=np.array([box.y + box.height / 2 for box in boxes], np.float64),
            present=np.array([box.present for box in boxes], bool),
        )
        return PoseSignals(subject=subject, motion=np.array(found.motion_energy, np.float64))

    async def comparison(self, *, tenant_id: str, comparison_id: str) -> pose_pb2.Comparison:
        """A comparison with its alignment path (NOT_FOUND raises)."""
        request = pose_pb2.GetComparisonRequest(
            tenant_id=tenant_id, comparison_id=comparison_id, include_alignment=True
        )
        found: pose_pb2.Comparison = await self._pose.GetComparison(request, timeout=self._timeout)
        return found

    async def landmarks(self, *, tenant_id: str, asset_id: str) -> Landmarks:
        """The main subject's landmarks in the asset's latest pose analysis."""
        request = pose_pb2.GetPoseAnalysisRequest(tenant_id=tenant_id, asset_id=asset_id, include_landmarks=True)
        found = await self._pose.GetPoseSignals(request, timeout=self._timeout)
        frames = len(found.times_s)
        return Landmarks(
            times_s=np.array(found.times_s, np.float64),
            points=np.array(found.subject_landmarks, np.float32).reshape(frames, 33, 3),
            width=found.width,
            height=found.height,
        )

    async def request_comparison(
        self,
        *,
        tenant_id: str,
        job_id: str,
        reference_asset_id: str,
        attempt_asset_id: str,
        reference_span: tuple[float, float],
    ) -> str:
        """Ask pose to compare the whole attempt with a span of the reference; returns the comparison's id."""
        request = pose_pb2.ComparisonRequest(
            tenant_id=tenant_id,
            job_id=job_id,
            reference_asset_id=reference_asset_id,
            attempt_asset_id=attempt_asset_id,
            reference_span=pose_pb2.TimeSpan(start_s=reference_span[0], end_s=reference_span[1]),
        )
        accepted = await self._pose.RequestComparison(request, timeout=self._timeout)
        return str(accepted.comparison_id)

    async def comparison_summary(self, *, tenant_id: str, comparison_id: str) -> pose_pb2.Comparison:
        """A comparison without its alignment path."""
        request = pose_pb2.GetComparisonRequest(tenant_id=tenant_id, comparison_id=comparison_id)
        found: pose_pb2.Comparison = await self._pose.GetComparison(request, timeout=self._timeout)
        return found
