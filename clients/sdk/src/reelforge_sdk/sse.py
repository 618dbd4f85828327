"""Server-Sent Events, decoded line by line (the sync and async clients share it).

Follows the WHATWG event-stream rules: ``field: value`` lines accumulate into
an event dispatched at a blank line, ``data`` lines join with newlines, lines
starting with ``:`` are comments (keep-alives), unknown fields are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServerSentEvent:
    event: str
    data: str
    id: str | None = None
    retry_ms: int | None = None


class SSEDecoder:
    """Feed it lines without their line endings; it returns each complete event."""

    def __init__(self) -> None:
        self._event = ""
        self._data: list[str] = []
        self._retry_ms: int | None = None
        self.last_event_id: str | None = None

    def feed(self, line: str) -> ServerSentEvent | None:
        """Consume one line; a blank line returns the event it completes, if any."""
        line = line.rstrip("\r\n")
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id" and "\0" not in value:
            self.last_event_id = value
        elif name == "retry" and value.isdigit():
            self._retry_ms = int(value)
        return None

    def _dispatch(self) -> ServerSentEvent | None:
        event, data, retry_ms = self._event, self._data, self._retry_ms
        self._event, self._data, self._retry_ms = "", [], None
        if not data:
            return None
        return ServerSentEvent(event=event or "message", data="\n".join(data), id=self.last_event_id, retry_ms=retry_ms)
