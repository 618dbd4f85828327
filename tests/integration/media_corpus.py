"""Bad inputs, generated on the fly, and a canary server that must stay untouched."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MEDIA = ROOT.parent / "shared" / "media"
LECTURE = MEDIA / "av" / "lecture_composite.mp4"
SPEECH = MEDIA / "speech" / "jfk"
POSE = MEDIA / "pose"
IMAGES = MEDIA / "images"


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


class Canary:
    """A TCP server that records every connection made to it."""

    def __init__(self) -> None:
        self.connections = 0
        self.port = 0

    async def _on_connect(self, _: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.close()


@asynccontextmanager
async def canary() -> AsyncIterator[Canary]:
    bird = Canary()
    server = await asyncio.start_server(bird._on_connect, "127.0.0.1", 0)
    bird.port = server.sockets[0].getsockname()[1]
    async with server:
        yield bird


def bad_inputs(folder: Path, canary_port: int) -> dict[str, Path]:
    """Files that must be refused at upload time, by the code expected."""
    target = f"http://127.0.0.1:{canary_port}"
    files = {
        "empty_upload": b"",
        "unsupported_media": b"This is a text file pretending to be a video.\n" * 40,
        "playlist_refused/hls_local_file": b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n"
        b"#EXT-X-ENDLIST\n",
        "playlist_refused/hls_canary": f"#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\n{target}/seg0.ts\n"
        "#EXT-X-ENDLIST\n".encode(),
        "playlist_refused/dash_canary": (
            '<?xml version="1.0"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static">'
            f'<Period><AdaptationSet><Representation id="1" bandwidth="1"><BaseURL>{target}/v.mp4</BaseURL>'
            "</Representation></AdaptationSet></Period></MPD>\n"
        ).encode(),
        "playlist_refused/concat": f"ffconcat version 1.0\nfile '{LECTURE}'\nfile '/etc/passwd'\n".encode(),
    }
    paths = {}
    for name, content in files.items():
        path = folder / (name.replace("/", "_") + ".mp4")
        path.write_bytes(content)
        paths[name] = path
    paths["media_unreadable"] = folder / "truncated.mp4"
    paths["media_unreadable"].write_bytes(LECTURE.read_bytes()[: LECTURE.stat().st_size // 2])
    paths["media_too_large"] = folder / "huge_frame.mp4"
    ffmpeg("-f", "lavfi", "-i", "color=c=gray:s=8192x8192:r=1", "-frames:v", "1", "-c:v", "libx264",
           "-preset", "ultrafast", str(paths["media_too_large"]))  # fmt: skip
    paths["duration_quota_exceeded"] = folder / "ten_hours.mp4"
    ffmpeg("-f", "lavfi", "-i", "color=c=black:s=16x16:r=1/600", "-t", "36000", "-c:v", "libx264",
           "-preset", "ultrafast", str(paths["duration_quota_exceeded"]))  # fmt: skip
    return paths


def truncated_after_header(folder: Path) -> Path:
    """An mp4 whose index is intact but whose media data stops half-way:
    it probes fine and fails only when decoded."""
    whole = folder / "faststart.mp4"
    ffmpeg("-i", str(LECTURE), "-c", "copy", "-movflags", "+faststart", str(whole))
    cut = folder / "cut_after_header.mp4"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    return cut
