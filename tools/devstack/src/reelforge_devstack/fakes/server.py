"""What every fake shares: scripted faults, counters, a delay, the sample
video it hands out, and serving an ASGI app on a local address."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Iterator
from functools import cache
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

Fault = Callable[[], Response]


class FakeState:
    """Counters, a delay, and faults queued per endpoint name."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        # When each call arrived (time.monotonic()), per endpoint.
        self.times: defaultdict[str, list[float]] = defaultdict(list)
        self.delay_s = 0.0
        self._faults: defaultdict[str, list[Fault]] = defaultdict(list)
        self.always: dict[str, Fault] = {}

    def fail_next(self, endpoint: str, fault: Fault, times: int = 1) -> None:
        self._faults[endpoint] += [fault] * times

    def fail_always(self, endpoint: str, fault: Fault) -> None:
        self.always[endpoint] = fault

    def heal(self) -> None:
        self._faults.clear()
        self.always.clear()

    async def enter(self, endpoint: str) -> Response | None:
        """Count the call, wait the delay; a fault's answer if one is due."""
        self.calls[endpoint] += 1
        self.times[endpoint].append(time.monotonic())
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self._faults[endpoint]:
            return self._faults[endpoint].pop(0)()
        if endpoint in self.always:
            return self.always[endpoint]()
        return None


@cache
def sample_video(seconds: float = 2.0) -> bytes:
    """A small real MP4 (test pattern and a tone), what a provider would return."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sample.mp4"
        subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc=s=320x180:r=24:d={seconds}",
             "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:v", "libx264", "-preset", "ultrafast",
             "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", "-movflags", "+faststart", str(path)],
            check=True,
        )  # fmt: skip
        return path.read_bytes()


def base_url(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def serve(app: Starlette, host: str = "127.0.0.2", port: int = 0) -> AsyncIterator[str]:
    """Serve ``app`` in this event loop; yields its base URL."""
    server = _Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound}"
    finally:
        server.should_exit = True
        await task
