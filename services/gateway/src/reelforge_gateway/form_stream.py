"""The file part of a ``multipart/form-data`` request, as a stream.

Starlette's own form parsing spools a whole file before the handler runs;
uploads instead flow from the socket to the ingest service as they arrive,
so the gateway holds one coalescing buffer per upload, whatever the size.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from reelforge_gateway.problems import ProblemError

_COALESCE = 1024 * 1024


class FormFile:
    """Reads a request body up to the file field's headers (:meth:`open`),
    then yields the file's bytes (:meth:`chunks`) in pieces of about 1 MiB."""

    def __init__(self, body: AsyncIterator[bytes], content_type: str, field: str = "file") -> None:
        kind, options = parse_options_header(content_type)
        if kind != b"multipart/form-data" or b"boundary" not in options:
            raise ProblemError("validation_failed", "send the file as multipart/form-data")
        self._body = body
        self._field = field.encode()
        self._headers: dict[bytes, bytes] = {}
        self._header_name = b""
        self._header_value = b""
        self._in_file = False
        self._pending: deque[bytes] = deque()
        self.filename = ""
        self.content_type = ""
        self.found = False
        self.finished = False
        self._ended = False
        self._parser = MultipartParser(
            options[b"boundary"],
            {
                "on_part_begin": self._part_begin,
                "on_header_field": lambda data, start, end: self._append_header(name=data[start:end]),
                "on_header_value": lambda data, start, end: self._append_header(value=data[start:end]),
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
            },
        )

    async def open(self) -> None:
        """Read until the file field's headers; 422 if there is none."""
        while not self.found:
            if self._ended:
                raise ProblemError("validation_failed", f"no form field named {self._field.decode()!r} with a file")
            await self._pump()

    async def chunks(self) -> AsyncIterator[bytes]:
        buffer = bytearray()
        while True:
            while self._pending:
                buffer += self._pending.popleft()
            if len(buffer) >= _COALESCE or (self.finished and buffer):
                yield bytes(buffer)
                buffer.clear()
            if self.finished and not self._pending:
                return
            if self._ended:
                raise ProblemError("validation_failed", "the request body ended inside the file")
            await self._pump()

    async def _pump(self) -> None:
        chunk = await anext(self._body, b"")
        if not chunk:
            self._ended = True
            return
        try:
            self._parser.write(chunk)
        except MultipartParseError as exc:
            raise ProblemError("validation_failed", f"malformed multipart body: {exc}") from exc

    def _part_begin(self) -> None:
        self._headers = {}

    def _append_header(self, *, name: bytes = b"", value: bytes = b"") -> None:
        self._header_name += name
        self._header_value += value

    def _header_end(self) -> None:
        self._headers[self._header_name.lower()] = self._header_value
        self._header_name = self._header_value = b""

    def _headers_finished(self) -> None:
        _, disposition = parse_options_header(self._headers.get(b"content-disposition", b""))
        if disposition.get(b"name") == self._field and b"filename" in disposition and not self.found:
            self.found = self._in_file = True
            self.filename = disposition[b"filename"].decode(errors="replace")[:255]
            self.content_type = self._headers.get(b"content-type", b"application/octet-stream").decode()[:100]

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self._pending.append(bytes(data[start:end]))

    def _part_end(self) -> None:
        if self._in_file:
            self._in_file = False
            self.finished = True
