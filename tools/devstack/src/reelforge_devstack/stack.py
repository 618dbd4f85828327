"""The whole local stack: infrastructure first, then every installed service."""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass

from reelforge_devstack.components import Component, NatsServer, ServiceProcess
from reelforge_devstack.layout import HOST, StackLayout
from reelforge_devstack.postgres import PostgresCluster
from reelforge_devstack.seaweed import SeaweedS3

# gRPC and ops-HTTP port of each service, in start order (the gateway, which
# calls the others, last); a public API (the gateway's) listens on the gRPC
# port + 2.
SERVICE_PORTS = {
    "ingest": (17010, 17011),
    "transcription": (17020, 17021),
    "pose": (17030, 17031),
    "aigen": (17040, 17041),
    "render": (17050, 17051),
    "notify": (17060, 17061),
    "gateway": (17000, 17001),
}
_EXTERNAL_KEYS = ("REELFORGE_NATS_URL", "REELFORGE_DATABASE_URL", "REELFORGE_S3_ENDPOINT")
_PASSED_THROUGH = (
    *_EXTERNAL_KEYS,
    "REELFORGE_S3_ACCESS_KEY",
    "REELFORGE_S3_SECRET_KEY",
    "REELFORGE_S3_BUCKET",
    "REELFORGE_S3_SECURE",
    "REELFORGE_ENVIRONMENT",
    "REELFORGE_OPERATOR_TOKEN",
)


@dataclass(frozen=True)
class ComponentState:
    name: str
    healthy: bool
    address: str


class Stack:
    def __init__(self, layout: StackLayout) -> None:
        self.layout = layout
        offset = layout.ports["nats"] - 14222
        self.services = [
            ServiceProcess(layout, name, grpc + offset, http + offset) for name, (grpc, http) in SERVICE_PORTS.items()
        ]

    def external_env(self) -> dict[str, str] | None:
        """Infrastructure named by the caller's environment, when it is not this stack's own."""
        if not all(os.environ.get(k) for k in _EXTERNAL_KEYS):
            return None
        if os.environ["REELFORGE_NATS_URL"] == f"nats://{HOST}:{self.layout.ports['nats']}":
            return None  # this stack's own, e.g. from a sourced .stack/env
        return {k: os.environ[k] for k in _PASSED_THROUGH if k in os.environ}

    def infrastructure(self) -> list[Component]:
        if self.external_env() is not None:
            return []
        return [NatsServer(self.layout), PostgresCluster(self.layout), SeaweedS3(self.layout)]

    def installed_services(self) -> list[ServiceProcess]:
        return [s for s in self.services if s.installed()]

    def up(self, *, with_services: bool = True, report: bool = True) -> None:
        self.layout.logs.mkdir(parents=True, exist_ok=True)
        for component in self.infrastructure():
            component.start()
            if report:
                print(f"  {component.name:<14} up    {component.address()}", flush=True)
        self._write_env()
        if with_services:
            for service in self.installed_services():
                service.start()
                if report:
                    print(f"  {service.name:<14} up    {service.address()}", flush=True)

    def _write_env(self) -> None:
        env = self.external_env() or self.layout.infrastructure_env()
        # Where services (and the CLI) find each other.
        for service in self.services:
            env[f"REELFORGE_{service.name.upper()}_TARGET"] = f"{HOST}:{service.grpc_port}"
            if service.name == "gateway":
                env["REELFORGE_API_URL"] = f"http://{HOST}:{service.api_port}"
        lines = ["# Written by `reelforge-stack up`; source it: . .stack/env"]
        lines += [f"export {key}={shlex.quote(value)}" for key, value in env.items()]
        self.layout.env_file.write_text("\n".join(lines) + "\n")
        self.layout.env_file.chmod(0o600)

    def down(self) -> list[str]:
        """Stop services, then infrastructure; returns what was stopped."""
        stopped = [s.name for s in reversed(self.services) if s.stop()]
        stopped += [c.name for c in reversed(self.infrastructure()) if c.stop()]
        return stopped

    def status(self) -> list[ComponentState]:
        parts: list[Component] = [*self.infrastructure(), *self.installed_services()]
        return [ComponentState(c.name, c.healthy(), c.address()) for c in parts]
