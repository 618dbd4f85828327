"""EBU R128 loudness normalisation in two passes: measure the clip's audio,
then correct it linearly (``loudnorm`` with the measured values), which lands
within a fraction of a LU of the target where the one-pass dynamic mode
drifts."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from reelforge_common.ffmpeg_process import SAFE_INPUT, FFmpegError, run_ffmpeg

TRUE_PEAK_DB = -1.5
LOUDNESS_RANGE = 11.0
_JSON = re.compile(r"\{[^{}]*\"input_i\"[^{}]*\}", re.S)


@dataclass(frozen=True)
class Measured:
    input_i: str
    input_tp: str
    input_lra: str
    input_thresh: str
    target_offset: str


def target(lufs: float) -> dict[str, float]:
    return {"I": lufs, "TP": TRUE_PEAK_DB, "LRA": LOUDNESS_RANGE}


async def measure(source: Path, *, start_s: float, duration_s: float, lufs: float) -> Measured | None:
    """The first pass over [start_s, start_s + duration_s] of ``source``'s audio
    (None for silence, which has no loudness to correct)."""
    spec = ":".join(f"{key}={value}" for key, value in target(lufs).items())
    args = ["ffmpeg", "-nostdin", "-hide_banner", "-ss", f"{start_s:.3f}", "-t", f"{duration_s:.3f}"]
    for option, value in SAFE_INPUT.items():
        args += [f"-{option}", value]
    args += ["-i", f"file:{source}", "-vn", "-af", f"loudnorm={spec}:print_format=json", "-f", "null", "-"]
    stderr = await run_ffmpeg(args, timeout_s=60 + 2 * duration_s)
    found = _JSON.findall(stderr)
    if not found:
        raise FFmpegError("loudnorm printed no measurement")
    values = json.loads(found[-1])
    if values["input_i"] in {"-inf", "inf"} or float(values["input_i"]) < -70:
        return None
    return Measured(**{key: values[key] for key in Measured.__dataclass_fields__})


def second_pass(measured: Measured, lufs: float) -> dict[str, object]:
    """The ``loudnorm`` options of the correcting pass."""
    return {
        **target(lufs),
        "measured_I": measured.input_i,
        "measured_TP": measured.input_tp,
        "measured_LRA": measured.input_lra,
        "measured_thresh": measured.input_thresh,
        "offset": measured.target_offset,
        "linear": "true",
    }
