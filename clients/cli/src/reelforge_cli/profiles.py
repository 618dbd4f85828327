"""Stored profiles: an API URL and key per name, in a JSON file only the user can read.

The file is ``$REELFORGE_CONFIG``, else ``$XDG_CONFIG_HOME/reelforge/config.json``,
else ``~/.config/reelforge/config.json``::

    {"profiles": {"default": {"api_url": "...", "api_key": "rf_..."}}}
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from reelforge_cli.errors import UsageError

DEFAULT_PROFILE = "default"


@dataclass(frozen=True)
class Profile:
    api_url: str | None = None
    api_key: str | None = None


def config_path(env: Mapping[str, str]) -> Path:
    """Where profiles are stored."""
    if env.get("REELFORGE_CONFIG"):
        return Path(env["REELFORGE_CONFIG"]).expanduser()
    base = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else Path.home() / ".config"
    return base / "reelforge" / "config.json"


def load_profiles(path: Path) -> dict[str, Profile]:
    """Every stored profile; none when the file does not exist yet."""
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise UsageError("bad_config", f"cannot read {path}: {exc}") from exc
    profiles = document.get("profiles") if isinstance(document, dict) else None
    if not isinstance(profiles, dict):
        raise UsageError("bad_config", f"{path} has no 'profiles' object")
    return {
        name: Profile(api_url=value.get("api_url"), api_key=value.get("api_key"))
        for name, value in profiles.items()
        if isinstance(value, dict)
    }


def save_profile(path: Path, name: str, profile: Profile) -> None:
    """Add or replace one profile; the file is written whole, mode 0600, then renamed into place."""
    profiles = load_profiles(path)
    profiles[name] = profile
    document = {"profiles": {n: asdict(p) for n, p in sorted(profiles.items())}}
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w") as file:
            json.dump(document, file, indent=2)
            file.write("\n")
        os.chmod(temporary, 0o600)  # whatever the umask said
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
