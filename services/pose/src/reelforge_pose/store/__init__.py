"""The pose service's SQL, one module per table family."""

from __future__ import annotations


def lock_clause(lock: bool) -> str:
    return " FOR UPDATE" if lock else ""
