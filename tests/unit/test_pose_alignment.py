"""The batched anti-diagonal DTW against a brute-force reference."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from reelforge_pose.alignment import DIAGONAL, LEFT, UP, band_width, dtw, in_band


def cost(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    return (first[None] - second).abs().sum(dim=-1)


def brute_force(first: np.ndarray, second: np.ndarray, band: float | None) -> tuple[float, list[tuple[int, int]]]:
    """The textbook O(n m) DTW with the same band and the same tie order."""
    n, m = len(first), len(second)
    width = band_width(n, m, band)
    total = np.full((n + 1, m + 1), np.inf)
    total[0, 0] = 0.0
    moves = np.zeros((n, m), int)
    for i in range(n):
        for j in range(m):
            if not in_band(i, j, n, m, width):
                continue
            here = float(np.abs(first[i] - second[j]).sum())
            if i == 0 and j == 0:
                total[1, 1] = here
                continue
            options = [total[i, j], total[i, j + 1], total[i + 1, j]]  # diagonal, up, left
            moves[i, j] = int(np.argmin(options))
            total[i + 1, j + 1] = here + min(options)
    path, i, j = [(n - 1, m - 1)], n - 1, m - 1
    while i or j:
        move = LEFT if i == 0 else UP if j == 0 else moves[i, j]
        i, j = (i - 1, j - 1) if move == DIAGONAL else (i - 1, j) if move == UP else (i, j - 1)
        path.append((i, j))
    return float(total[n, m]), path[::-1]


@pytest.mark.parametrize("band", [None, 0.1, 0.3])
def test_dtw_matches_a_brute_force_reference_on_small_inputs(band: float | None) -> None:
    rng = np.random.default_rng(7)  # integer costs: exact sums, so ties are real ties
    for _ in range(120):
        n, m = (int(v) for v in rng.integers(1, 14, 2))
        first = rng.integers(0, 4, (n, 3)).astype(np.float32)  # small integers: ties happen
        second = rng.integers(0, 4, (3, m, 3)).astype(np.float32)
        found = dtw(torch.from_numpy(first), torch.from_numpy(second), cost, band=band)
        for b, alignment in enumerate(found):
            total, path = brute_force(first, second[b], band)
            assert alignment.total == pytest.approx(total, abs=1e-4), (n, m, band)
            assert [tuple(pair) for pair in alignment.path] == path


def test_a_sequence_aligns_with_a_slowed_copy_of_itself_at_no_cost() -> None:
    steps = np.linspace(0, 6, 40, dtype=np.float32)[:, None]
    motion = np.sin(steps)
    slow = np.sin(np.repeat(steps, 2, axis=0))  # every frame twice: half the speed
    alignment = dtw(torch.from_numpy(motion), torch.from_numpy(slow[None]), cost, band=0.1)[0]
    assert alignment.total == pytest.approx(0.0, abs=1e-6)
    assert alignment.path[0].tolist() == [0, 0]
    assert alignment.path[-1].tolist() == [39, 79]
    assert (np.diff(alignment.path, axis=0) >= 0).all()


def test_the_band_keeps_the_path_near_the_diagonal_of_normalised_time() -> None:
    rng = np.random.default_rng(3)
    first, second = rng.random((50, 2)).astype(np.float32), rng.random((1, 80, 2)).astype(np.float32)
    path = dtw(torch.from_numpy(first), torch.from_numpy(second), cost, band=0.1)[0].path
    assert np.abs(path[:, 0] / 49 - path[:, 1] / 79).max() <= 0.1 + 1e-9
    unbanded = dtw(torch.from_numpy(first), torch.from_numpy(second), cost)[0]
    banded = dtw(torch.from_numpy(first), torch.from_numpy(second), cost, band=0.1)[0]
    assert unbanded.total <= banded.total
