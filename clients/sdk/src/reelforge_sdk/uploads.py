"""Planning a presigned multipart upload: which byte ranges go to which URL.

The sync and async clients only differ in how they send the parts; what to
send, how to read it and how to report it is decided here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reelforge_sdk.errors import ReelforgeError, UploadInterruptedError
from reelforge_sdk.models import Upload

ProgressCallback = Callable[[int, int], None]
"""Called as ``on_progress(bytes_sent, bytes_total)`` while a file goes out."""

DEFAULT_MULTIPART_THRESHOLD = 64 * 1024 * 1024
DEFAULT_PART_CONCURRENCY = 4


@dataclass(frozen=True)
class PartSpan:
    """Part ``number``: ``length`` bytes of the file from ``offset``, PUT to ``url``."""

    number: int
    url: str
    offset: int
    length: int


def missing_parts(upload: Upload, size: int) -> list[PartSpan]:
    """The parts still to send, after checking the file matches the upload's layout."""
    expected = max(1, math.ceil(size / upload.part_size))
    if upload.part_count != expected or upload.size_bytes not in (None, size):
        raise ReelforgeError(
            code="file_mismatch",
            title="The file does not match the upload",
            detail=f"upload {upload.asset_id} is {upload.size_bytes or '?'} bytes in {upload.part_count} parts "
            f"of {upload.part_size}; the file is {size} bytes",
        )
    stored = {part.number for part in upload.uploaded}
    spans = []
    for part in sorted(upload.parts, key=lambda p: p.number):
        if part.number in stored:
            continue
        offset = (part.number - 1) * upload.part_size
        spans.append(PartSpan(part.number, part.url, offset, max(0, min(upload.part_size, size - offset))))
    return spans


def file_size(path: Path) -> int:
    """The file's size in bytes (``FileNotFoundError`` when it is missing)."""
    return path.stat().st_size


def stored_bytes(upload: Upload) -> int:
    """Bytes the server already holds (what a resumed upload starts its progress at)."""
    return sum(part.size for part in upload.uploaded)


def read_part(path: Path, span: PartSpan) -> bytes:
    """The part's bytes, read with a seek so only this part is in memory."""
    with path.open("rb") as file:
        file.seek(span.offset)
        data = file.read(span.length)
    if len(data) != span.length:
        raise ReelforgeError(
            code="file_changed",
            title="The file changed while it was being sent",
            detail=f"{path} ended before part {span.number} ({span.length} bytes at {span.offset})",
        )
    return data


class PartTracker:
    """Progress and failures of the parts of one upload, reported as parts finish."""

    def __init__(self, upload: Upload, size: int, on_progress: ProgressCallback | None) -> None:
        self.asset_id = upload.asset_id
        self.size = size
        self.sent = min(size, stored_bytes(upload))
        self._on_progress = on_progress
        self._failed: list[int] = []
        self._last_error: ReelforgeError | None = None
        self._report()

    def finished(self, span: PartSpan, error: ReelforgeError | None) -> None:
        """Record one part's outcome (``error`` is None when it was stored)."""
        if error is not None:
            self._failed.append(span.number)
            self._last_error = error
            return
        self.sent = min(self.size, self.sent + span.length)
        self._report()

    def raise_if_failed(self) -> None:
        """Raise :class:`UploadInterruptedError` naming every part that failed."""
        if self._last_error is not None:
            raise UploadInterruptedError(
                asset_id=self.asset_id, failed_parts=sorted(self._failed), cause=self._last_error
            )

    def _report(self) -> None:
        if self._on_progress is not None:
            self._on_progress(self.sent, self.size)
