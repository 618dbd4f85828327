"""Requests that failed because a dependency is down answer 503, not 500.

Whatever raised it (a route, a dependency, the admission middleware), a
database or object-storage outage (see :mod:`reelforge_common.outages`)
becomes the ``unavailable`` problem with ``Retry-After``, as long as the
response has not started.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelforge_common.outages import unavailable_dependency, unavailable_detail
from reelforge_gateway.problems import problem_response

log = logging.getLogger(__name__)


class Outages:
    """Pure ASGI middleware, outermost, so streamed bodies pass through unbuffered."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._app(scope, receive, sending)
        except Exception as exc:
            dependency = unavailable_dependency(exc)
            if dependency is None or started:
                raise
            log.warning("answered 503: %s unavailable: %r", dependency, exc, extra={"path": scope["path"]})
            await problem_response("unavailable", unavailable_detail(dependency))(scope, receive, send)
