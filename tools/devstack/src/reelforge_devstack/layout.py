"""Where the local stack lives, which ports it uses, and its credentials."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# Private ports on 127.0.0.1, clear of the standard ones (4222, 5432, 8333,
# 9000...) that a machine may already be using.
DEFAULT_PORTS = {
    "nats": 14222,
    "nats_monitor": 18222,
    "postgres": 15432,
    "s3": 18333,
    "s3_grpc": 28333,
    "weed_master": 19333,
    "weed_master_grpc": 29333,
    "weed_volume": 18081,
    "weed_volume_grpc": 28081,
    "weed_filer": 18888,
    "weed_filer_grpc": 28888,
}
_SAFE_OFFSETS = frozenset(range(0, 1000, 100))
HOST = "127.0.0.1"
BUCKET = "reelforge"
DATABASE = "reelforge"
DB_USER = "reelforge"


@dataclass(frozen=True)
class StackLayout:
    """Folders, ports and secrets of one local stack rooted at ``root/.stack``."""

    root: Path
    ports: dict[str, int]

    @classmethod
    def discover(cls, root: Path | None = None) -> StackLayout:
        """The stack of the project at ``root`` (default: nearest folder
        upward holding a Makefile and services/); ``REELFORGE_STACK_PORT_OFFSET``
        shifts every port, so two checkouts can run stacks side by side."""
        if root is None:
            here = Path.cwd().resolve()
            root = next(
                (p for p in (here, *here.parents) if (p / "services").is_dir() and (p / "Makefile").exists()), here
            )
        offset = int(os.environ.get("REELFORGE_STACK_PORT_OFFSET", "0"))
        if offset not in _SAFE_OFFSETS:
            # Other shifts can land one stack's port on another's (18333 + 1000
            # is SeaweedFS's master port, 17000 + 1 a service's HTTP port).
            raise ValueError(f"REELFORGE_STACK_PORT_OFFSET must be one of {sorted(_SAFE_OFFSETS)}, not {offset}")
        return cls(root=root, ports={k: v + offset for k, v in DEFAULT_PORTS.items()})

    @property
    def dir(self) -> Path:
        return self.root / ".stack"

    @property
    def logs(self) -> Path:
        return self.dir / "logs"

    @property
    def env_file(self) -> Path:
        return self.dir / "env"

    def secrets(self) -> dict[str, str]:
        """Credentials generated on first use and kept with the stack's data."""
        path = self.dir / "secrets.json"
        stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
        wanted: dict[str, Callable[[], str]] = {
            "db_password": lambda: secrets.token_urlsafe(18),
            "s3_access_key": lambda: "rf" + secrets.token_hex(9),
            "s3_secret_key": lambda: secrets.token_urlsafe(30),
            "operator_token": lambda: secrets.token_urlsafe(32),
        }
        missing = {name: make() for name, make in wanted.items() if name not in stored}
        if missing:
            stored.update(missing)
            self.dir.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(stored))
            path.chmod(0o600)
        return stored

    def infrastructure_env(self) -> dict[str, str]:
        s = self.secrets()
        return {
            "REELFORGE_ENVIRONMENT": "development",
            "REELFORGE_NATS_URL": f"nats://{HOST}:{self.ports['nats']}",
            "REELFORGE_DATABASE_URL": (
                f"postgresql://{DB_USER}:{s['db_password']}@{HOST}:{self.ports['postgres']}/{DATABASE}"
            ),
            "REELFORGE_S3_ENDPOINT": f"{HOST}:{self.ports['s3']}",
            "REELFORGE_S3_ACCESS_KEY": s["s3_access_key"],
            "REELFORGE_S3_SECRET_KEY": s["s3_secret_key"],
            "REELFORGE_S3_BUCKET": BUCKET,
            "REELFORGE_OPERATOR_TOKEN": s["operator_token"],
        }
