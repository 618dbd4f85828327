"""Local scratch space, and the tee that streams an upload to disk and S3 at once."""

from __future__ import annotations

import asyncio
import contextlib
import io
import queue
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from reelforge_common.storage import ObjectStore
from reelforge_ingest.refusals import RefusedError
from reelforge_ingest.sniff import SNIFF_BYTES, sniff

# Chunks in flight between the event loop and the S3 upload thread.
_PIPE_DEPTH = 32
_END = b""
_FULL_PIPE_POLL_S = 0.005


class Spool:
    """Per-asset folders under one root; a folder is the asset's local copy
    and its derivatives while they are made."""

    def __init__(self, root: Path | None) -> None:
        self.root = root or Path(tempfile.gettempdir()) / "reelforge-ingest"
        self.root.mkdir(parents=True, exist_ok=True)

    def folder(self, asset_id: str) -> Path:
        path = self.root / asset_id
        path.mkdir(exist_ok=True)
        return path

    def original(self, asset_id: str) -> Path:
        return self.folder(asset_id) / "original"

    def discard(self, asset_id: str) -> None:
        shutil.rmtree(self.root / asset_id, ignore_errors=True)


class _Pipe(io.RawIOBase):
    """A blocking reader (the S3 SDK's, in a worker thread) fed from the event loop."""

    def __init__(self) -> None:
        self._queue: queue.Queue[bytes | BaseException] = queue.Queue(_PIPE_DEPTH)
        self._buffer = memoryview(b"")
        self._ended = False

    def readable(self) -> bool:
        return True

    def readinto(self, target: bytearray | memoryview) -> int:  # type: ignore[override]
        if not self._buffer and not self._ended:
            item = self._queue.get()
            if isinstance(item, BaseException):
                raise item
            self._buffer = memoryview(item)
            self._ended = item == _END
        n = min(len(target), len(self._buffer))
        target[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n

    async def feed(self, item: bytes | BaseException, reader: asyncio.Task[object]) -> None:
        """Queue ``item`` for the reader, waiting while the pipe is full;
        gives up once the reader has stopped (its error is raised)."""
        while not reader.done():
            try:
                self._queue.put_nowait(item)
                return
            except queue.Full:
                await asyncio.sleep(_FULL_PIPE_POLL_S)
        reader.result()
        raise RuntimeError("the object upload stopped reading before the end of the file")


async def receive(
    chunks: AsyncIterator[bytes], *, spool_file: Path, store: ObjectStore, key: str, content_type: str, max_bytes: int
) -> int:
    """Write an upload to ``spool_file`` and to the object ``key`` at once;
    returns its size. The head is sniffed before anything is stored; a
    refusal or error part-way aborts the S3 upload and leaves no object."""
    head = b""
    async for chunk in chunks:
        head += chunk
        if len(head) >= SNIFF_BYTES:
            break
    sniff(head[:SNIFF_BYTES])
    pipe = _Pipe()
    upload: asyncio.Task[object] = asyncio.create_task(
        store.put_stream(key, io.BufferedReader(pipe, 1024 * 1024), content_type=content_type)
    )
    size = 0
    try:
        with spool_file.open("wb") as out:
            async for chunk in _prepend(head, chunks):
                size += len(chunk)
                if max_bytes and size > max_bytes:
                    raise RefusedError("upload_too_large", f"the upload exceeds the {max_bytes}-byte limit")
                out.write(chunk)
                await pipe.feed(chunk, upload)
        await pipe.feed(_END, upload)
        await upload
    except BaseException as exc:
        if not upload.done():
            with contextlib.suppress(Exception):
                await pipe.feed(exc if isinstance(exc, Exception) else RuntimeError("upload cancelled"), upload)
        try:
            await upload
        except Exception:  # noqa: S110 - the SDK aborted its multipart upload; the cause is re-raised below
            pass
        else:
            await store.delete(key)
        raise
    return size


async def _prepend(head: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if head:
        yield head
    async for chunk in rest:
        yield chunk
