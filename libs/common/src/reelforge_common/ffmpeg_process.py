"""Running one FFmpeg command: progress from ``-progress pipe:1``, a deadline,
and the last error line when it fails. Cancelling the caller kills FFmpeg."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

# The demuxers a tenant's media may be read with: no playlists (HLS, DASH), no
# concat lists, no image sequences, nothing that opens another file or URL.
# The image "pipe" demuxers read one still image from the one file.
IMAGE_DEMUXERS = frozenset({"png_pipe", "jpeg_pipe", "webp_pipe"})
_MEDIA_DEMUXERS = ("mov", "matroska", "webm", "avi", "wav", "mp3", "ogg", "flac", "aac", "flv", "mpegts", "mpeg", "asf")
DEMUXERS = ",".join((*_MEDIA_DEMUXERS, *sorted(IMAGE_DEMUXERS)))
# Options for every FFmpeg input that came from a tenant: local files only.
SAFE_INPUT = {"protocol_whitelist": "file", "format_whitelist": DEMUXERS}
# Called with the fraction of ``duration_s`` FFmpeg has written so far.
ProgressCallback = Callable[[float], Awaitable[None]]
# Added to a command so that it reports progress on stdout, and nothing else.
PROGRESS_ARGS = ("-progress", "pipe:1", "-nostats")
_STDERR_KEEP = 4096


class FFmpegError(Exception):
    """FFmpeg exited with an error, or took longer than allowed; the message says which."""


async def run_ffmpeg(
    args: Sequence[str],
    *,
    timeout_s: float,
    duration_s: float = 0.0,
    on_progress: ProgressCallback | None = None,
) -> str:
    """Run ``args`` (a whole command, with ``PROGRESS_ARGS`` among its global
    options when ``on_progress`` is given); returns the end of what it wrote on stderr."""
    process = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    assert process.stderr is not None
    stderr_task = asyncio.create_task(process.stderr.read())
    try:
        async with asyncio.timeout(timeout_s):
            async for line in process.stdout:
                key, _, value = line.decode(errors="replace").strip().partition("=")
                if key == "out_time_us" and on_progress and duration_s > 0 and value.isdigit():
                    await on_progress(min(int(value) / 1e6 / duration_s, 1.0))
            await process.wait()
    except TimeoutError:
        raise FFmpegError(f"FFmpeg took longer than {timeout_s:.0f} s") from None
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        stderr = (await stderr_task)[-_STDERR_KEEP:].decode(errors="replace").strip()
    if process.returncode != 0:
        raise FFmpegError(stderr.splitlines()[-1] if stderr else f"ffmpeg exited with {process.returncode}")
    return stderr
