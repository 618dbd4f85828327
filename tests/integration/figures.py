"""The figures `make chaos` and `make security` print: one row per guarantee
tested, with how many runs it had, how many held and what was measured.

A test records its row before it asserts, so a failing guarantee still shows
its figure. ``make test`` runs the same tests with fewer runs (the fast
subset); ``REELFORGE_CHAOS_RUNS`` and ``REELFORGE_SUITE=full`` ask for the
whole suite.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    suite: str  # chaos | security
    test: str
    runs: int
    passed: int
    figure: str


RECORDED: list[Figure] = []


def full_suite() -> bool:
    """True under `make chaos` / `make security`: every run, every case."""
    return os.environ.get("REELFORGE_SUITE", "fast") == "full"


def runs(full: int, fast: int = 1) -> int:
    """How many times a looped guarantee is tried in this suite."""
    if "REELFORGE_CHAOS_RUNS" in os.environ:
        return int(os.environ["REELFORGE_CHAOS_RUNS"])
    return full if full_suite() else fast


def record(suite: str, test: str, runs: int, passed: int, figure: str) -> None:
    RECORDED.append(Figure(suite, test, runs, passed, figure))


def table(suite: str) -> list[str]:
    """The rows of one suite as a Markdown table (empty when nothing was recorded)."""
    rows = [f for f in RECORDED if f.suite == suite]
    if not rows:
        return []
    width = max(len("test"), *(len(f.test) for f in rows))
    lines = [
        f"| {'test':<{width}} | runs | passed | figure",
        f"|{'-' * (width + 2)}|------|--------|-------",
    ]
    lines += [f"| {f.test:<{width}} | {f.runs:>4} | {f.passed:>6} | {f.figure}" for f in rows]
    return lines
