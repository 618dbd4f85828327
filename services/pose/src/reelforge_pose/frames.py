"""Frames of a video decoded by FFmpeg and piped as raw RGB, never written as images.

FFmpeg reads only the local file it is given (``-protocol_whitelist file``,
the MP4 demuxer forced): the pose service decodes ingest's proxy, which
ingest has already validated, made upright and bounded in size. A reader
thread keeps a few frames ahead, so decoding overlaps with the model.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_SAFE_INPUT = ("-protocol_whitelist", "file", "-f", "mov,mp4,m4a,3gp,3g2,mj2")
_READ_AHEAD = 8
_STDERR_KEEP = 2000
_PROBE_TIMEOUT_S = 60.0


class DecodeError(Exception):
    """The video does not decode."""


@dataclass(frozen=True)
class VideoGeometry:
    width: int
    height: int
    fps: float
    duration_s: float


def probe(path: Path) -> VideoGeometry:
    """Size (as displayed), frame rate and duration of a video's first stream."""
    args = ["ffprobe", "-v", "error", *_SAFE_INPUT, "-select_streams", "v:0"]
    args += ["-show_entries", "stream=width,height,avg_frame_rate,duration:format=duration", "-of", "json"]
    try:
        done = subprocess.run(
            [*args, f"file:{path}"], capture_output=True, timeout=_PROBE_TIMEOUT_S, check=False, text=True
        )
    except subprocess.TimeoutExpired:
        raise DecodeError("ffprobe took too long") from None
    info = json.loads(done.stdout or "{}") if done.returncode == 0 else {}
    streams = info.get("streams") or []
    if not streams:
        raise DecodeError(f"no video stream: {done.stderr.strip()[-_STDERR_KEEP:]}")
    stream = streams[0]
    num, _, den = str(stream.get("avg_frame_rate", "0/1")).partition("/")
    fps = float(num) / float(den) if den and float(den) else 0.0
    duration = float(stream.get("duration") or info.get("format", {}).get("duration") or 0.0)
    return VideoGeometry(width=int(stream["width"]), height=int(stream["height"]), fps=fps, duration_s=duration)


def decode(path: Path, geometry: VideoGeometry, fps: float, *, threads: int = 0) -> Iterator[np.ndarray]:
    """Frames at ``fps`` (FFmpeg's fps filter: frame i shows time i / fps), each
    an (height, width, 3) uint8 RGB array. Raises DecodeError when FFmpeg fails."""
    args = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-threads", str(threads), *_SAFE_INPUT]
    args += ["-i", f"file:{path}", "-map", "0:v:0", "-vf", f"fps={fps:.6f}", "-f", "rawvideo", "-pix_fmt", "rgb24"]
    process = subprocess.Popen([*args, "pipe:1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    assert process.stderr is not None
    size = geometry.width * geometry.height * 3
    frames: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=_READ_AHEAD)
    stop = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        try:
            while not stop.is_set():
                data = process.stdout.read(size)
                if len(data) != size:  # a short read is the end of the stream
                    break
                frames.put(np.frombuffer(data, np.uint8).reshape(geometry.height, geometry.width, 3))
        finally:
            frames.put(None)

    reader = threading.Thread(target=read, name="pose-decode", daemon=True)
    reader.start()
    errors: list[bytes] = []
    drain = threading.Thread(target=lambda: errors.append(process.stderr.read() if process.stderr else b""))
    drain.start()
    try:
        while (frame := frames.get()) is not None:
            yield frame
    finally:
        stop.set()
        while reader.is_alive():  # unblock a reader waiting on a full queue
            try:
                frames.get_nowait()
            except queue.Empty:
                reader.join(0.01)
        if process.poll() is None:
            process.kill()
        returncode = process.wait()
        drain.join()
    if returncode != 0:
        detail = b"".join(errors)[-_STDERR_KEEP:].decode(errors="replace").strip()
        raise DecodeError(detail.splitlines()[-1] if detail else f"ffmpeg exited with {returncode}")
