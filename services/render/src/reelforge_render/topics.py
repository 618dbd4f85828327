"""Topic segmentation of a transcript, TextTiling-style over sentence embeddings.

At each gap between sentences, the similarity of the ``window`` sentences
before it and the ``window`` after it (mean embeddings, cosine) is the gap's
cohesion. A gap's depth is how far its cohesion lies below the nearest peaks
on either side; gaps deeper than the mean depth minus half its standard
deviation, and at least ``MIN_DEPTH``, are topic boundaries where the
cohesion is at a local minimum (Hearst, 1997).
"""

from __future__ import annotations

import numpy as np

WINDOW = 2
# A gap shallower than this (in cosine similarity) is noise within a topic.
MIN_DEPTH = 0.1


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def cohesion(vectors: np.ndarray, window: int = WINDOW) -> np.ndarray:
    """(n - 1,) similarity across each gap between consecutive sentences."""
    gaps = []
    for gap in range(1, len(vectors)):
        before = _unit(vectors[max(0, gap - window) : gap].mean(axis=0))
        after = _unit(vectors[gap : gap + window].mean(axis=0))
        gaps.append(float(before @ after))
    return np.array(gaps)


def depths(scores: np.ndarray) -> np.ndarray:
    """How far each gap's cohesion lies below its nearest peaks (hill climbing both ways)."""
    found = np.zeros(len(scores))
    for index, score in enumerate(scores):
        left = index
        while left > 0 and scores[left - 1] >= scores[left]:
            left -= 1
        right = index
        while right < len(scores) - 1 and scores[right + 1] >= scores[right]:
            right += 1
        found[index] = (scores[left] - score) + (scores[right] - score)
    return found


def topic_ids(vectors: np.ndarray, window: int = WINDOW) -> list[int]:
    """The topic of each sentence: 0, 1, 2... changing at the deep gaps."""
    if len(vectors) < 3:
        return [0] * len(vectors)
    scores = cohesion(vectors, window)
    gap_depths = depths(scores)
    cutoff = gap_depths.mean() - gap_depths.std() / 2
    topic, found = 0, [0]
    for index, depth in enumerate(gap_depths):
        lowest = scores[index] <= scores[max(index - 1, 0)] and scores[index] <= scores[min(index + 1, len(scores) - 1)]
        if lowest and depth > max(cutoff, MIN_DEPTH):
            topic += 1
        found.append(topic)
    return found
