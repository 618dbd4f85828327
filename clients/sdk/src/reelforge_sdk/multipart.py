"""A ``multipart/form-data`` body with one file part, streamed from disk.

The body is produced chunk by chunk (the part head, the file in 1 MiB reads,
the closing boundary) and its length is known up front, so it goes out with a
``Content-Length`` and never sits in memory whole.
"""

from __future__ import annotations

import mimetypes
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from reelforge_sdk.errors import ReelforgeError
from reelforge_sdk.uploads import ProgressCallback

CHUNK_SIZE = 1024 * 1024


def guess_content_type(filename: str) -> str:
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def _quote(value: str) -> str:
    # What browsers do for form-data names and filenames (HTML living standard).
    return value.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")


class MultipartFile:
    """One file as a streamed ``multipart/form-data`` body."""

    def __init__(
        self,
        path: Path,
        *,
        field: str = "file",
        filename: str | None = None,
        content_type: str | None = None,
        chunk_size: int = CHUNK_SIZE,
        boundary: str | None = None,
    ) -> None:
        self.path = path
        self.size = path.stat().st_size
        self.chunk_size = chunk_size
        self.boundary = boundary or f"reelforge-{secrets.token_hex(16)}"
        name = filename or path.name
        self._head = (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="{_quote(field)}"; filename="{_quote(name)}"\r\n'
            f"Content-Type: {content_type or guess_content_type(name)}\r\n\r\n"
        ).encode()
        self._tail = f"\r\n--{self.boundary}--\r\n".encode()

    @property
    def content_length(self) -> int:
        return len(self._head) + self.size + len(self._tail)

    @property
    def headers(self) -> dict[str, str]:
        return {
            "Content-Type": f"multipart/form-data; boundary={self.boundary}",
            "Content-Length": str(self.content_length),
        }

    def chunks(self, on_progress: ProgressCallback | None = None) -> Iterator[bytes]:
        """The body, a fresh pass over the file each call (so a retry can resend it).

        ``on_progress`` hears of each file chunk once the transport has taken it.
        """
        yield self._head
        sent = 0
        with self.path.open("rb") as file:
            while sent < self.size:
                chunk = file.read(min(self.chunk_size, self.size - sent))
                if not chunk:
                    raise ReelforgeError(
                        code="file_changed",
                        title="The file changed while it was being sent",
                        detail=f"{self.path} is shorter than the {self.size} bytes it had",
                    )
                yield chunk
                sent += len(chunk)
                if on_progress is not None:
                    on_progress(sent, self.size)
        if on_progress is not None and self.size == 0:
            on_progress(0, 0)
        yield self._tail

    async def achunks(self, on_progress: ProgressCallback | None = None) -> AsyncIterator[bytes]:
        """The body for an async transport.

        Each step reads at most one chunk from a local file, which is short
        enough not to need a worker thread.
        """
        for chunk in self.chunks(on_progress):
            yield chunk
