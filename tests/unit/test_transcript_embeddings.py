"""Sentence embeddings for transcript search, with the bundled all-MiniLM-L6-v2 and no network.

The model is loaded once for the module, with every socket connection refused
and the hub client's offline switch turned off beforehand, so each test also
shows that loading and encoding never reach the network.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from huggingface_hub import constants as hub_constants
from huggingface_hub import hf_hub_download

from reelforge_transcription.embeddings import DIMENSIONS, Embedder, from_bytes, rank, to_bytes
from reelforge_transcription.models import ModelUnavailableError

SPEECH = Path(__file__).resolve().parents[2].parent / "shared" / "media" / "speech"
JFK = (SPEECH / "jfk" / "jfk.txt").read_text().strip()


def _sphinx_sentences(path: Path) -> list[str]:
    """The words of ``<s> words </s> (file-id)`` lines."""
    return [match[1].strip() for line in path.read_text().splitlines() if (match := re.search(r"<s>(.*)</s>", line))]


def _tsv_sentences(path: Path) -> list[str]:
    """The second column of ``id<TAB>text[<TAB>note]`` lines."""
    return [line.split("\t")[1] for line in path.read_text().splitlines() if line.strip()]


# Transcripts of the other recordings in the shared speech media: a novel, lab sentences, commands, playing cards.
OTHER_SENTENCES = [
    *_sphinx_sentences(SPEECH / "librivox_sense_and_sensibility" / "transcription"),
    *_tsv_sentences(SPEECH / "cmu_arctic" / "transcripts.tsv"),
    *_tsv_sentences(SPEECH / "cmu_pocketsphinx" / "raw_transcripts.tsv")[:2],
    _sphinx_sentences(SPEECH / "cmu_pocketsphinx" / "cards.transcription")[-1],
]


class _NetworkBlockedError(OSError):
    pass


@dataclass(frozen=True)
class OfflineModel:
    embedder: Embedder
    network_attempts: list[Any]


@pytest.fixture(scope="module")
def offline() -> Iterator[OfflineModel]:
    attempts: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        raise _NetworkBlockedError("network access in a test")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "create_connection", refuse)
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket.socket, "connect_ex", refuse)
        patch.setattr(socket, "getaddrinfo", refuse)
        patch.setenv("HF_HUB_OFFLINE", "0")
        patch.setattr(hub_constants, "HF_HUB_OFFLINE", False)
        yield OfflineModel(Embedder(), attempts)


@pytest.fixture
def embedder(offline: OfflineModel) -> Embedder:
    return offline.embedder


def test_jfk_ranks_first_for_a_query_about_duty_to_the_nation(embedder: Embedder) -> None:
    assert len(OTHER_SENTENCES) == 10
    sentences = [*OTHER_SENTENCES[:4], JFK, *OTHER_SENTENCES[4:]]

    vectors = embedder.encode(sentences)
    (query,) = embedder.encode(["duty to the nation"])
    ranked = rank(query, vectors, k=3)

    assert ranked[0][0] == sentences.index(JFK)
    assert ranked[0][1] > ranked[1][1] > ranked[2][1]


def test_vectors_are_float32_unit_rows_of_384_dimensions(embedder: Embedder) -> None:
    vectors = embedder.encode([JFK, *OTHER_SENTENCES, ""])

    assert embedder.dimensions == DIMENSIONS == 384
    assert vectors.dtype == np.float32
    assert vectors.shape == (len(OTHER_SENTENCES) + 2, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_a_text_gets_the_same_vector_alone_and_in_a_padded_batch(embedder: Embedder) -> None:
    batch = embedder.encode([JFK, *OTHER_SENTENCES])
    alone = embedder.encode([OTHER_SENTENCES[-1]])

    np.testing.assert_allclose(batch[-1], alone[0], atol=1e-5)


def test_no_texts_give_an_empty_matrix(embedder: Embedder) -> None:
    vectors = embedder.encode([])

    assert vectors.shape == (0, 384)
    assert vectors.dtype == np.float32


def test_one_string_is_refused_rather_than_encoded_letter_by_letter(embedder: Embedder) -> None:
    with pytest.raises(TypeError):
        embedder.encode(JFK)


def test_encodes_from_worker_threads_match_serial_encodes(embedder: Embedder) -> None:
    texts = [[sentence] * 5 for sentence in [JFK, *OTHER_SENTENCES]]
    serial = [embedder.encode(batch) for batch in texts]

    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(embedder.encode, texts))

    for expected, actual in zip(serial, threaded, strict=True):
        np.testing.assert_allclose(actual, expected, atol=1e-5)


def test_loads_and_encodes_with_the_network_unavailable(offline: OfflineModel, tmp_path: Path) -> None:
    offline.embedder.encode(["the network is down"])

    # The embedder switched the hub client off: a download fails without trying the network.
    with pytest.raises(Exception, match=r"(?i)offline|local"):
        hf_hub_download("sentence-transformers/all-MiniLM-L6-v2", "config.json", cache_dir=tmp_path)
    assert offline.network_attempts == []


def test_a_folder_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError, match="not a sentence-transformers model"):
        Embedder(tmp_path)


def test_a_vector_survives_the_bytes_round_trip(embedder: Embedder) -> None:
    (vector,) = embedder.encode([JFK])

    data = to_bytes(vector)
    restored = from_bytes(data)

    assert len(data) == 384 * 4
    np.testing.assert_array_equal(restored, vector)
    assert restored.dtype == np.float32
    assert restored.flags.writeable


def test_bytes_are_float32_little_endian() -> None:
    assert to_bytes(np.array([1.0, -2.0], dtype=np.float32)) == b"\x00\x00\x80\x3f\x00\x00\x00\xc0"
    np.testing.assert_array_equal(from_bytes(b"\x00\x00\x80\x3f"), [1.0])


def test_bytes_that_are_not_whole_floats_are_refused() -> None:
    with pytest.raises(ValueError, match="float32"):
        from_bytes(b"\x00\x00\x80")


def test_rank_orders_by_cosine_and_breaks_ties_by_index() -> None:
    vectors = np.array([[0.0, 1.0], [3.0, 0.0], [1.0, 1.0], [2.0, 0.0], [-1.0, 0.0]], dtype=np.float32)
    query = np.array([1.0, 0.0], dtype=np.float32)

    ranked = rank(query, vectors, k=3)

    assert [index for index, _ in ranked] == [1, 3, 2]
    assert [score for _, score in ranked] == pytest.approx([1.0, 1.0, np.sqrt(0.5)])


def test_rank_returns_every_row_when_k_exceeds_them_and_none_for_k_zero() -> None:
    vectors = [np.array([1.0, 0.0], dtype=np.float32), np.array([0.0, 1.0], dtype=np.float32)]
    query = np.array([0.0, 2.0], dtype=np.float32)

    assert [index for index, _ in rank(query, vectors, k=10)] == [1, 0]
    assert rank(query, vectors, k=0) == []
    assert rank(query, [], k=5) == []


def test_rank_scores_a_zero_vector_as_zero() -> None:
    vectors = np.array([[0.0, 0.0], [-1.0, 0.0]], dtype=np.float32)

    ranked = rank(np.array([1.0, 0.0], dtype=np.float32), vectors, k=2)

    assert ranked == [(0, 0.0), (1, pytest.approx(-1.0))]
