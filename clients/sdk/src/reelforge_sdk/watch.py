"""Following a stream of ``job`` events across reconnects (sync and async share it)."""

from __future__ import annotations

import json

import httpx

from reelforge_sdk.errors import ReelforgeError
from reelforge_sdk.models import Job
from reelforge_sdk.retry import RetryPolicy
from reelforge_sdk.sse import SSEDecoder


class JobWatch:
    """Turns event-stream lines into :class:`Job` states and decides on reconnects.

    With ``until_terminal`` the watch is ``finished`` once a job reaches
    succeeded or failed. A stream that breaks, or ends before that, is
    reopened with backoff; the server starts each stream with the current
    state, so a state already delivered is not delivered twice.
    """

    def __init__(self, *, until_terminal: bool, retry: RetryPolicy) -> None:
        self.until_terminal = until_terminal
        self.finished = False
        self._retry = retry
        self._decoder = SSEDecoder()
        self._failures = 0
        self._last: tuple[object, ...] | None = None

    @property
    def last_event_id(self) -> str | None:
        return self._decoder.last_event_id

    def feed(self, line: str) -> Job | None:
        """Consume a line; returns a job state when it completes a new ``job`` event."""
        event = self._decoder.feed(line)
        if event is None or event.event != "job":
            return None
        try:
            job = Job.from_json(json.loads(event.data))
        except (ValueError, KeyError, TypeError) as exc:
            raise ReelforgeError(
                code="invalid_response", title="The event stream sent an unreadable job", detail=str(exc)
            ) from exc
        self._failures = 0
        if self.until_terminal and job.is_terminal:
            self.finished = True
        state = (job.id, job.status, job.stage, job.progress, job.updated_at)
        if state == self._last:
            return None
        self._last = state
        return job

    def reconnect_delay(
        self, *, response: httpx.Response | None = None, error: httpx.TransportError | None = None
    ) -> float:
        """Seconds to wait before reopening the stream; raises when it is time to give up.

        Pass the refused ``response`` (its body read), the transport ``error``,
        or neither when the server closed the stream early.
        """
        last_id = self._decoder.last_event_id
        self._decoder = SSEDecoder()
        self._decoder.last_event_id = last_id
        if response is not None:
            delay = self._retry.delay_after_response(self._failures, response)
            if delay is None:
                raise ReelforgeError.from_response(response)
        else:
            delay = self._retry.delay_after_error(self._failures)
            if delay is None and error is not None:
                raise ReelforgeError.from_transport(error) from error
            if delay is None:
                raise ReelforgeError(
                    code="stream_ended",
                    title="The event stream ended early",
                    detail="the server kept closing the event stream before the job finished",
                )
        self._failures += 1
        return delay
