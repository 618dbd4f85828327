"""Bad inputs, generated on the fly, and a canary server that must stay untouched."""

from __future__ import annotations

import asyncio
import struct
import subprocess
import zlib
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
        **more_playlists(target),
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
    paths.update(oversize_and_truncated(folder))
    return paths


def more_playlists(target: str) -> dict[str, bytes]:
    """Manifests and lists in the spellings a sniffer might miss: BOM and
    blank lines first, master playlists, keys, templates, remote periods,
    concat lists without their header."""
    segment = f"#EXTINF:4,\n{target}/seg0.ts\n#EXT-X-ENDLIST\n"
    return {
        "playlist_refused/hls_bom_blank_lines": f"\ufeff\n\n  #EXTM3U\n#EXT-X-TARGETDURATION:4\n{segment}".encode(),
        "playlist_refused/hls_master": f"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n{target}/v.m3u8\n".encode(),
        "playlist_refused/hls_key": f'#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="{target}/k"\n{segment}'.encode(),
        "playlist_refused/hls_file_segments": b"#EXTM3U\n#EXTINF:4,\nfile:///etc/passwd\n#EXTINF:4,\n../../x.ts\n",
        "playlist_refused/dash_template": (
            '<!-- a comment first -->\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static"><Period>'
            f'<AdaptationSet><SegmentTemplate media="{target}/$Number$.m4s" initialization="{target}/i.mp4"/>'
            '<Representation id="1" bandwidth="1"/></AdaptationSet></Period></MPD>\n'
        ).encode(),
        "playlist_refused/dash_remote_period": (
            '<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011" xmlns:xlink="http://www.w3.org/1999/xlink">'
            f'<Period xlink:href="{target}/period.xml" xlink:actuate="onLoad"/></MPD>'
        ).encode(),
        "playlist_refused/concat_no_header": f"# a comment\nfile '{target}/a.mp4'\nfile '{LECTURE}'\n".encode(),
        "playlist_refused/concat_subfile": f"ffconcat version 1\nfile 'subfile,,start,0,end,9,,:{LECTURE}'\n".encode(),
    }


def _png(width: int, height: int) -> bytes:
    """A PNG whose header announces ``width`` x ``height`` and whose data is one empty row."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


def _mp4_claiming_forever(folder: Path) -> bytes:
    """A two-second mp4 whose movie header (mvhd) announces 2^32 ticks: about 50 days."""
    small = folder / "two_seconds.mp4"
    ffmpeg("-f", "lavfi", "-i", "color=s=16x16:r=1", "-t", "2", "-c:v", "libx264", "-preset", "ultrafast", str(small))
    data = bytearray(small.read_bytes())
    duration = data.find(b"mvhd") + 4 + 4 + 4 + 4 + 4  # version 0: flags, created, modified, timescale
    data[duration : duration + 4] = struct.pack(">I", 0xFFFFFFF0)
    return bytes(data)


def oversize_and_truncated(folder: Path) -> dict[str, Path]:
    """Pictures and streams over the limits, durations that lie, files cut short."""
    made: dict[str, Path] = {}

    def write(name: str, content: bytes) -> None:
        made[name] = folder / (name.replace("/", "_") + ".bin")
        made[name].write_bytes(content)

    write("media_too_large/png_8000_square", _png(8000, 8000))
    write("media_unreadable/png_30000_square_beyond_ffmpeg", _png(30000, 30000))
    write("media_too_large/png_one_wide_row", _png(65535, 1))
    write("media_too_long/mp4_header_claims_50_days", _mp4_claiming_forever(folder))
    write("media_unreadable/first_kilobyte", LECTURE.read_bytes()[:1024])
    write("media_unreadable/png_cut_in_header", (IMAGES / "astronaut.png").read_bytes()[:20])
    lavfi = ["-f", "lavfi", "-i"]
    made["media_too_large/wide_video"] = folder / "wide.mkv"
    ffmpeg(*lavfi, "color=s=4112x16:r=1", "-t", "1", "-c:v", "ffv1", str(made["media_too_large/wide_video"]))
    made["media_too_large/1000_fps"] = folder / "fast.mkv"
    ffmpeg(*lavfi, "color=s=16x16:r=1000", "-t", "0.1", "-c:v", "ffv1", str(made["media_too_large/1000_fps"]))
    made["media_too_large/17_streams"] = folder / "streams.mkv"
    maps = [arg for _ in range(17) for arg in ("-map", "0:a")]
    ffmpeg(
        *lavfi, "anullsrc=r=8000:cl=mono", "-t", "1", *maps, "-c:a", "pcm_u8", str(made["media_too_large/17_streams"])
    )
    return made


def truncated_after_header(folder: Path) -> Path:
    """An mp4 whose index is intact but whose media data stops half-way:
    it probes fine and fails only when decoded."""
    whole = folder / "faststart.mp4"
    ffmpeg("-i", str(LECTURE), "-c", "copy", "-movflags", "+faststart", str(whole))
    cut = folder / "cut_after_header.mp4"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    return cut
