"""Content sniffing: the first bytes of a file decide whether FFmpeg may see it.

Playlists (HLS, DASH) and concat lists are refused here, before any demuxer
could follow the references inside them; so is text. Binary data that looks
like no known container goes on to ffprobe, whose demuxer whitelist has the
last word.
"""

from __future__ import annotations

import re

from reelforge_ingest.refusals import RefusedError

# Enough for every signature below, and for a fair look at text.
SNIFF_BYTES = 4096

_MEDIA_SIGNATURES: tuple[tuple[int, bytes], ...] = (
    (4, b"ftyp"),  # ISO BMFF: mp4, mov, m4a, 3gp
    (4, b"moov"),
    (4, b"mdat"),
    (4, b"wide"),
    (4, b"free"),
    (0, b"\x1a\x45\xdf\xa3"),  # EBML: Matroska, WebM
    (0, b"RIFF"),  # WAV, AVI
    (0, b"OggS"),
    (0, b"fLaC"),
    (0, b"ID3"),  # MP3 with a tag
    (0, b"FLV"),
    (0, b"\x00\x00\x01\xba"),  # MPEG program stream
    (0, b"\x30\x26\xb2\x75"),  # ASF (wmv, wma)
    (0, b"\x89PNG\r\n\x1a\n"),  # still images: first frames and characters' references
    (0, b"\xff\xd8\xff"),  # JPEG (WebP is RIFF, above)
)
_PLAYLISTS: tuple[tuple[re.Pattern[bytes], str], ...] = (
    (re.compile(rb"^#EXTM3U"), "an HLS/M3U playlist"),
    (re.compile(rb"^(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<MPD[\s>]", re.DOTALL), "a DASH manifest"),
    (re.compile(rb"^ffconcat\s+version", re.IGNORECASE), "an FFmpeg concat list"),
    (re.compile(rb"^(#[^\n]*\n|\s)*file\s+['\"]?[^\s]", re.IGNORECASE), "an FFmpeg concat list"),
    (re.compile(rb"^\[playlist\]", re.IGNORECASE), "a PLS playlist"),
    (re.compile(rb"^<\?xml[^>]*>\s*<(smil|playlist|asx)", re.IGNORECASE), "an XML playlist"),
)


def sniff(head: bytes) -> None:
    """Refuse ``head`` (a file's first bytes) unless it may be media."""
    if not head:
        raise RefusedError("empty_upload", "the file is empty")
    if any(head[offset : offset + len(magic)] == magic for offset, magic in _MEDIA_SIGNATURES):
        return
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    for pattern, what in _PLAYLISTS:
        if pattern.match(text):
            raise RefusedError("playlist_refused", f"the file is {what}; upload the media itself")
    if _looks_like_text(head):
        raise RefusedError("unsupported_media", "the file is text, not audio or video")


def _looks_like_text(head: bytes) -> bool:
    decoded = head.decode("utf-8", errors="replace")
    printable = sum(1 for ch in decoded if (ch.isprintable() and ch != "\ufffd") or ch in "\t\r\n")
    return printable / len(decoded) > 0.95
