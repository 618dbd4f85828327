"""Test sessions that run at once (`make chaos` beside `make security`, say)
share the local stack: the last session to leave stops what any of them
started, and nobody stops it under another."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class StackSessions:
    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._mine = folder / str(os.getpid())
        self._started = folder / "started"

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self._folder.mkdir(parents=True, exist_ok=True)
        with (self._folder / "lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def join(self, started: list[str]) -> None:
        """Register this session, and the components it had to start."""
        with self._locked():
            self._mine.touch()
            with self._started.open("a") as file:
                file.writelines(f"{name}\n" for name in started)

    def leave(self) -> set[str]:
        """Unregister; returns the components to stop (none while another session runs)."""
        with self._locked():
            self._mine.unlink(missing_ok=True)
            if any(_alive(int(p.name)) for p in self._folder.iterdir() if p.name.isdigit()):
                return set()
            started = set(self._started.read_text().split()) if self._started.exists() else set()
            self._started.unlink(missing_ok=True)
            return started


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
