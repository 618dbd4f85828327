"""What every part of the local stack shares, the NATS server and the
services. Each part can tell whether it is healthy, start (idempotently) and stop."""

from __future__ import annotations

import os
import shutil
import socket
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from reelforge_devstack.layout import HOST, StackLayout
from reelforge_devstack.processes import Daemon, wait_until


class MissingPrerequisiteError(RuntimeError):
    """A binary the stack needs is not installed; the message says what to install."""


class Component(Protocol):
    name: str

    def healthy(self) -> bool: ...
    def start(self) -> None: ...
    def stop(self) -> bool: ...
    def address(self) -> str: ...


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def bin_path(name: str) -> str:
    """A binary installed next to this interpreter (the venv), or on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        raise MissingPrerequisiteError(f"{name} not found: run `make setup`")
    return found


def running_and_healthy(daemon: Daemon, healthy: Callable[[], bool]) -> bool:
    """Whether our process is up and healthy. One that is alive but not (yet)
    healthy gets a moment, then is stopped: starting a second copy beside it
    would fail on its port and orphan the first."""
    if daemon.pid() is None:
        return False
    if wait_until(healthy, 10):
        return True
    daemon.stop()
    return False


def require_started(daemon: Daemon, ok: bool, what: str) -> None:
    if not ok:
        raise RuntimeError(f"{what} did not become healthy; last log lines:\n{daemon.log_tail()}")


class NatsServer:
    """nats-server with JetStream on a file store, fsync on every write."""

    name = "nats"

    def __init__(
        self,
        layout: StackLayout,
        *,
        port: int | None = None,
        monitor_port: int | None = None,
        data_dir: Path | None = None,
        name: str = "nats",
    ) -> None:
        self.name = name
        self.port = port or layout.ports["nats"]
        self.monitor_port = monitor_port or layout.ports["nats_monitor"]
        self.data_dir = data_dir or layout.dir / name
        self.daemon = Daemon(name, layout.dir / "pids", layout.logs)

    def address(self) -> str:
        return f"nats://{HOST}:{self.port}"

    def healthy(self) -> bool:
        if self.daemon.pid() is None:
            return False  # whatever answers on the port is not this stack's server
        try:
            url = f"http://{HOST}:{self.monitor_port}/healthz?js-enabled-only=true"
            with urllib.request.urlopen(url, timeout=1) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def start(self) -> None:
        if running_and_healthy(self.daemon, self.healthy):
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / "nats.conf"
        config.write_text(
            f'server_name: "reelforge-{self.name}"\n'
            f"listen: {HOST}:{self.port}\n"
            f"http: {HOST}:{self.monitor_port}\n"
            "jetstream {\n"
            f'  store_dir: "{self.data_dir / "jetstream"}"\n'
            # Jepsen (2025) lost acknowledged writes with the default lazy fsync.
            "  sync_interval: always\n"
            "}\n"
        )
        self.daemon.start([bin_path("nats-server"), "-c", str(config)])
        require_started(self.daemon, wait_until(self.healthy, 30), "nats-server")

    def stop(self) -> bool:
        return self.daemon.stop()

    def kill(self) -> None:
        self.daemon.kill()


# Settings the local stack gives a service unless the caller's environment says otherwise.
LOCAL_DEFAULTS = {
    # Local webhook receivers listen on 127.0.0.2 (`reelforge-stack webhook-receiver
    # --host 127.0.0.2`); the rest of loopback, private and metadata ranges stay refused.
    "notify": {"REELFORGE_WEBHOOK_ALLOW_NETWORKS": '["127.0.0.2/32"]'},
}


class ServiceProcess:
    """One Reelforge service run from its console script."""

    def __init__(self, layout: StackLayout, name: str, grpc_port: int, http_port: int) -> None:
        self.name = name
        self.layout = layout
        self.grpc_port = grpc_port
        self.http_port = http_port
        # The public API port; only the gateway serves one.
        self.api_port = grpc_port + 2
        self.daemon = Daemon(name, layout.dir / "pids", layout.logs)

    def address(self) -> str:
        api = f", API http://{HOST}:{self.api_port}/docs" if self.name == "gateway" else ""
        return f"grpc {HOST}:{self.grpc_port}, http://{HOST}:{self.http_port}/metrics{api}"

    def installed(self) -> bool:
        return (Path(sys.executable).parent / f"reelforge-{self.name}").exists()

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{self.http_port}/readyz", timeout=1) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def start(self) -> None:
        if running_and_healthy(self.daemon, self.healthy):
            return
        env = {
            **LOCAL_DEFAULTS.get(self.name, {}),
            **os.environ,
            **read_env_file(self.layout.env_file),
            "REELFORGE_GRPC_PORT": str(self.grpc_port),
            "REELFORGE_HTTP_PORT": str(self.http_port),
            "REELFORGE_API_PORT": str(self.api_port),
            "REELFORGE_WORK_DIR": str(self.layout.dir / "work" / self.name),
        }
        self.daemon.start([bin_path(f"reelforge-{self.name}")], env=env, cwd=self.layout.root)
        require_started(self.daemon, wait_until(self.healthy, 60), f"service {self.name}")

    def stop(self) -> bool:
        return self.daemon.stop()


def read_env_file(path: Path) -> dict[str, str]:
    """Parse the ``export KEY=value`` lines that `up` writes."""
    env: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            key, sep, value = line.removeprefix("export ").partition("=")
            if sep and not line.startswith("#"):
                env[key.strip()] = value.strip().strip("'")
    return env
