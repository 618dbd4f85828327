"""Still frames of an asset's video, each uploaded to ingest as a new image
asset (a first frame for a generation, a character's reference, a cover).

A frame is the first one shown at or after its timestamp, at the original's
resolution, cut from the original with an accurate seek (FFmpeg decodes from
the keyframe before and drops what comes earlier). "last" is the frame with
the latest presentation time, found from the packets of the last seconds
without decoding them. FFmpeg reports each frame's own time (``showinfo``
with the source's timestamps kept), which the answer carries.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from reelforge.ingest.v1.ingest_pb2 import Quota
from reelforge.render.v1 import render_pb2
from reelforge_common.asset_upload import AssetUploader, UploadRefusedError, derived_job_id
from reelforge_common.ffmpeg_process import SAFE_INPUT, FFmpegError, run_ffmpeg
from reelforge_common.grpc_server import RefusedError
from reelforge_common.storage import ObjectStore
from reelforge_render.store.assets import AssetRow

MAX_FRAMES = 20
FORMATS = {"png": "image/png", "jpg": "image/jpeg"}
POSITIONS = {"", "first", "last"}
_TAIL_S = 5.0
_PTS = re.compile(r"pts_time:\s*(-?[\d.]+)")


@dataclass(frozen=True)
class FrameRequest:
    timestamps_s: tuple[float, ...]
    position: str
    format: str
    quality: int

    @classmethod
    def from_message(cls, request: render_pb2.FramesRequest) -> FrameRequest:
        return cls(
            timestamps_s=tuple(request.timestamps_s),
            position=request.position,
            format=request.format or "png",
            quality=request.quality or 90,
        )

    def problems(self, duration_s: float) -> list[str]:
        """What is wrong with the request for a video of ``duration_s``."""
        found = []
        if self.position not in POSITIONS:
            found.append(f"position must be first or last, not {self.position!r}")
        if self.position and self.timestamps_s:
            found.append("give timestamps or a position, not both")
        if not self.position and not 1 <= len(self.timestamps_s) <= MAX_FRAMES:
            found.append(f"give 1 to {MAX_FRAMES} timestamps")
        outside = [t for t in self.timestamps_s if not 0 <= t < duration_s]
        if outside:
            found.append(f"timestamps {outside} are outside the video (0 to {duration_s:.3f} s)")
        if self.format not in FORMATS:
            found.append(f"format must be png or jpg, not {self.format!r}")
        if not 1 <= self.quality <= 100:
            found.append("quality must be 1 to 100")
        return found


def frame_command(source: Path, output: Path, *, at_s: float | None, quality: int) -> list[str]:
    """One frame of ``source`` at ``at_s`` (None: the first) into ``output``
    (PNG or JPEG by its suffix), with ``showinfo`` reporting its time."""
    args = ["ffmpeg", "-nostdin", "-hide_banner", "-copyts"]
    if at_s is not None:
        args += ["-ss", f"{at_s:.6f}"]
    for option, value in SAFE_INPUT.items():
        args += [f"-{option}", value]
    args += ["-i", f"file:{source}", "-map", "0:v:0", "-vf", "showinfo", "-frames:v", "1"]
    if output.suffix == ".jpg":
        # FFmpeg's JPEG scale runs from 2 (best) to 31.
        args += ["-q:v", str(round(31 - 29 * (quality - 1) / 99))]
    else:
        args += ["-pix_fmt", "rgb24"]
    return [*args, "-y", str(output)]


async def last_frame_time(source: Path, duration_s: float) -> float:
    """The presentation time of ``source``'s last video frame, from the
    packets of its last seconds (no decoding)."""
    args = ["ffprobe", "-v", "error", "-select_streams", "v:0"]
    for option, value in SAFE_INPUT.items():
        args += [f"-{option}", value]
    args += ["-read_intervals", f"{max(duration_s - _TAIL_S, 0):.3f}%", "-show_entries", "packet=pts_time"]
    args += ["-of", "csv=p=0", f"file:{source}"]
    process = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    times = [float(line) for line in out.decode().split() if line.strip(",") not in {"", "N/A"}]
    if process.returncode != 0 or not times:
        raise FFmpegError(err.decode(errors="replace").strip() or "ffprobe found no video packets")
    return max(times)


async def extract(source: Path, output: Path, *, at_s: float | None, quality: int) -> float | None:
    """One frame into ``output``; returns its presentation time (None: no
    frame is shown at or after ``at_s``)."""
    stderr = await run_ffmpeg(frame_command(source, output, at_s=at_s, quality=quality), timeout_s=60)
    found = _PTS.search(stderr)
    return float(found.group(1)) if found else None


class FrameExtractor:
    def __init__(self, store: ObjectStore, uploader: AssetUploader, *, work_dir: Path | None) -> None:
        self._store = store
        self._uploader = uploader
        self._work_dir = work_dir

    async def frames(
        self, asset: AssetRow, wanted: FrameRequest, *, request_id: str, quota: Quota
    ) -> list[render_pb2.Frame]:
        """The frames ``wanted`` of ``asset`` (ready, with video), as new assets in request order."""
        made = []
        with tempfile.TemporaryDirectory(dir=self._work_dir, prefix="frames-") as folder:
            source = Path(folder) / "original"
            await self._store.download(asset.original_key, str(source))
            times: list[float | None] = list(wanted.timestamps_s)
            if wanted.position == "first":
                times = [None]
            elif wanted.position == "last":
                # A millisecond before: the printed time is rounded, and the seek keeps frames at or after it.
                times = [await last_frame_time(source, asset.duration_s) - 0.001]
            for index, at_s in enumerate(times):
                image = Path(folder) / f"{index}.{wanted.format}"
                shown_s = await extract(source, image, at_s=at_s, quality=wanted.quality)
                if shown_s is None:
                    raise RefusedError("validation_failed", f"no frame is shown at or after {at_s} s")
                name = f"{asset.asset_id}-{shown_s:.3f}s.{wanted.format}"
                try:
                    asset_id = await self._uploader.upload(
                        image,
                        tenant_id=asset.tenant_id,
                        job_id=derived_job_id(request_id, str(index)),
                        filename=name,
                        content_type=FORMATS[wanted.format],
                        quota=quota,
                    )
                except UploadRefusedError as exc:
                    raise RefusedError(exc.code, exc.message) from None
                made.append(render_pb2.Frame(timestamp_s=shown_s, asset_id=asset_id))
        return made
