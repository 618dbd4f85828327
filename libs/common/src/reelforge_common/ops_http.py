"""The operations HTTP endpoint every service serves: liveness, readiness, metrics."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator

import uvicorn
from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from reelforge_common.telemetry import Metrics

ReadinessCheck = Callable[[], Awaitable[bool]]


def ops_app(metrics: Metrics, ready: ReadinessCheck) -> FastAPI:
    app = FastAPI(
        title=f"reelforge-{metrics.service} ops",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        # Probes and scrapes every few seconds are not worth a span each.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz(response: Response) -> dict[str, str]:
        if await ready():
            return {"status": "ready"}
        response.status_code = 503
        return {"status": "not ready"}

    @app.get("/metrics")
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app


class EmbeddedServer(uvicorn.Server):
    """A uvicorn server running inside the service's event loop; the service
    runner, not uvicorn, owns the process signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    @property
    def bound_port(self) -> int:
        port: int = self.servers[0].sockets[0].getsockname()[1]
        return port
