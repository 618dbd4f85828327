"""A comparison's result as the JSON document stored in S3 (the same field
names as the API's)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from reelforge_pose.comparison import Result


def result_to_json(result: Result) -> dict[str, Any]:
    return {
        "score": result.score,
        "mirrored": result.mirrored,
        "tempo_ratio": result.tempo_ratio,
        "segments": [asdict(segment) for segment in result.segments],
        "feedback": [asdict(item) for item in result.feedback],
        "alignment": [{"reference_s": ref, "attempt_s": att} for ref, att in result.alignment],
    }
