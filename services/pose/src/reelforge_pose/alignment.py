"""Dynamic time warping in torch, batched, on the GPU when there is one.

The accumulated cost D[i, j] = C[i, j] + min(D[i-1, j-1], D[i-1, j], D[i, j-1])
depends only on the two previous anti-diagonals, so each anti-diagonal is
one vector operation over every sequence of the batch: n + m - 1 steps
instead of n * m. Pair costs are computed on the fly, diagonal by diagonal,
only inside a Sakoe-Chiba band around the diagonal of normalised time (a
warp may speed up or slow down locally, not wander off), so memory holds no
cost matrix: only the move taken into each cell (int8), for backtracking.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

# Moves into a cell, in the order ties are broken.
DIAGONAL, UP, LEFT = 0, 1, 2
# The band is never narrower than this many rows, so it stays connected.
_MIN_HALF_WIDTH = 1.5

# (L, F) rows of the first sequence and (B, L, F) matching rows of each
# second sequence -> (B, L) costs of those pairs.
PairCost = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class Alignment:
    """The cheapest warping path of one pair: (L, 2) index pairs (i into the
    first sequence, j into the second), from (0, 0) to (n - 1, m - 1)."""

    total: float
    path: np.ndarray

    @property
    def mean(self) -> float:
        return self.total / len(self.path)


def pick_device(setting: str) -> torch.device:
    """``auto``: CUDA when available, else the CPU."""
    if setting == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(setting)


def band_width(n: int, m: int, band: float | None) -> float:
    """The band's half-width on normalised time actually used: ``band``
    widened to at least 1.5 rows so the corners stay connected (inf: no band)."""
    if band is None or n < 2 or m < 2:
        return math.inf
    return max(band, _MIN_HALF_WIDTH * (1 / (n - 1) + 1 / (m - 1)))


def in_band(i: int, j: int, n: int, m: int, width: float) -> bool:
    """Whether cell (i, j) lies in the band: |i/(n-1) - j/(m-1)| <= width."""
    return math.isinf(width) or abs(i / (n - 1) - j / (m - 1)) <= width + 1e-9


def _rows(k: int, n: int, m: int, width: float) -> tuple[int, int]:
    """[low, high) of the rows of anti-diagonal k inside the matrix and the band."""
    low, high = max(0, k - m + 1), min(n - 1, k) + 1
    if not math.isinf(width):
        # |i/(n-1) - (k-i)/(m-1)| <= w  <=>  |i*s - k/(m-1)| <= w, s = 1/(n-1) + 1/(m-1)
        s = 1 / (n - 1) + 1 / (m - 1)
        centre, half = k / (m - 1) / s, width / s
        low, high = max(low, math.ceil(centre - half - 1e-9)), min(high, math.floor(centre + half + 1e-9) + 1)
    return low, max(low, high)


@torch.inference_mode()
def dtw(
    first: torch.Tensor, second: torch.Tensor, pair_cost: PairCost, *, band: float | None = None
) -> list[Alignment]:
    """The cheapest path between ``first`` (n, F) and each sequence of
    ``second`` (B, m, F), pairs costing ``pair_cost``, within ``band``
    (half-width on normalised time; None: anywhere)."""
    n, batch, m = first.shape[0], second.shape[0], second.shape[1]
    device, dtype = second.device, second.dtype
    width = band_width(n, m, band)
    # Anti-diagonals indexed by row + 1; index 0 stands for row -1 (never reachable).
    before = torch.full((batch, n + 1), math.inf, device=device, dtype=dtype)
    last = before.clone()
    moves = torch.zeros((n + m - 1, batch, n), dtype=torch.int8, device=device)
    for k in range(n + m - 1):
        low, high = _rows(k, n, m, width)
        current = torch.full((batch, n + 1), math.inf, device=device, dtype=dtype)
        if high > low:
            # Rows low..high-1 pair with columns k-low down to k-high+1.
            here = pair_cost(first[low:high], second[:, k - high + 1 : k - low + 1].flip(1))
            if k == 0:
                current[:, 1] = here[:, 0]
            else:
                diagonal, up, left = before[:, low:high], last[:, low:high], last[:, low + 1 : high + 1]
                straight = torch.minimum(up, left)
                take_diagonal = diagonal <= straight
                current[:, low + 1 : high + 1] = here + torch.where(take_diagonal, diagonal, straight)
                # 0 diagonal, 1 up, 2 left (ties: diagonal, then up).
                moves[k, :, low:high] = (~take_diagonal).to(torch.int8) * (1 + (up > left).to(torch.int8))
        before, last = last, current
    totals = last[:, n].cpu().numpy()
    taken = moves.cpu().numpy()
    return [Alignment(float(totals[b]), _backtrack(taken[:, b], n, m)) for b in range(batch)]


def _backtrack(moves: np.ndarray, n: int, m: int) -> np.ndarray:
    i, j = n - 1, m - 1
    path = [(i, j)]
    while i > 0 or j > 0:
        move = LEFT if i == 0 else UP if j == 0 else moves[i + j, i]
        if move == DIAGONAL:
            i, j = i - 1, j - 1
        elif move == UP:
            i -= 1
        else:
            j -= 1
        path.append((i, j))
    return np.array(path[::-1], dtype=np.int64)
