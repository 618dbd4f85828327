"""Usage and configuration problems: the CLI's own errors, exit status 2."""

from __future__ import annotations

from typing import Any


class UsageError(Exception):
    """Something the user must fix before a command can run (exit status 2)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail

    def to_dict(self) -> dict[str, Any]:
        return {"status": None, "code": self.code, "title": "Usage error", "detail": self.detail}
