"""A service run as its own process (its console script, as `make up` runs
it), so that a test can SIGKILL it mid-job and start it again."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


class WorkerProcess:
    """One replica of ``service`` on gRPC port ``port`` (the target the
    platform was told), with this test's bus prefix and the service's schema;
    its log goes to ``<work>/<service>.log``."""

    def __init__(
        self, service: str, port: int, child_env: dict[str, str], uid: str, work: Path, **settings: object
    ) -> None:
        self.service = service
        self.port = port
        self.log = work / f"{service}.log"
        (work / service).mkdir(parents=True, exist_ok=True)
        self.env = {
            **child_env,
            "REELFORGE_DATABASE_SCHEMA": f"{uid}_{service}",
            "REELFORGE_GRPC_PORT": str(self.port),
            "REELFORGE_WORK_DIR": str(work / service),
            # A killed replica's message comes back after 5 s, not a minute.
            "REELFORGE_JOB_ACK_WAIT_S": "5",
            **{f"REELFORGE_{name.upper()}": _env_value(value) for name, value in settings.items()},
        }
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                BIN / f"reelforge-{self.service}", env=self.env, stdout=log, stderr=asyncio.subprocess.STDOUT
            )
        self.starts += 1

    async def kill(self) -> None:
        """SIGKILL: no drain, no ack, no cleanup."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def restart(self) -> None:
        await self.kill()
        await self.start()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                await self.kill()


def _env_value(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)
