"""Which clips each variant of a mix joins.

Auto mode picks ``count`` distinct combinations of one clip from every group
(in group order) at random but reproducibly — the mix's id seeds the choice —
so no two variants are the same and a retried job plans the same variants.
Manual mode takes the combinations as given.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

MAX_GROUPS = 10
MAX_GROUP_SIZE = 20
MAX_VARIANTS = 50


def combinations_count(groups: Sequence[Sequence[str]]) -> int:
    return math.prod(len(group) for group in groups)


def auto_picks(groups: Sequence[Sequence[str]], count: int, *, seed: str) -> list[list[int]]:
    """``count`` distinct picks (one index per group), the same for the same seed."""
    total = combinations_count(groups)
    chosen = random.Random(seed).sample(range(total), count)  # noqa: S311 - a reproducible choice, not a secret
    picks = []
    for number in chosen:
        pick = []
        for group in reversed(groups):
            number, index = divmod(number, len(group))
            pick.append(index)
        picks.append(pick[::-1])
    return picks


def problems(groups: Sequence[Sequence[str]], *, mode: str, count: int, picks: Sequence[Sequence[int]]) -> list[str]:
    """What is wrong with a mix's groups and choice of variants (none: it can be made)."""
    found = []
    if not 1 <= len(groups) <= MAX_GROUPS:
        found.append(f"give 1 to {MAX_GROUPS} groups")
    if any(not 1 <= len(group) <= MAX_GROUP_SIZE for group in groups):
        found.append(f"each group holds 1 to {MAX_GROUP_SIZE} assets")
    if found:
        return found
    if mode == "auto":
        total = combinations_count(groups)
        if not 1 <= count <= min(MAX_VARIANTS, total):
            found.append(f"auto mode makes 1 to {min(MAX_VARIANTS, total)} variants here ({total} combinations)")
    elif mode == "manual":
        if not 1 <= len(picks) <= MAX_VARIANTS:
            found.append(f"give 1 to {MAX_VARIANTS} combinations")
        for number, pick in enumerate(picks, start=1):
            if len(pick) != len(groups) or any(not 0 <= i < len(g) for i, g in zip(pick, groups, strict=False)):
                found.append(f"combination {number} must pick one index into each of the {len(groups)} groups")
    else:
        found.append(f"mode must be auto or manual, not {mode!r}")
    return found
