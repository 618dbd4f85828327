"""Page sizes of the list operations."""

from __future__ import annotations

from reelforge_gateway.problems import ProblemError

DEFAULT_PAGE = 50
MAX_PAGE = 200


def page_size(limit: int) -> int:
    """``limit``, if it is a page size the API serves; else ``validation_failed``."""
    if not 1 <= limit <= MAX_PAGE:
        raise ProblemError("validation_failed", f"limit: 1 to {MAX_PAGE}")
    return limit
