"""What every video provider adapter offers, and how its failures are told apart.

A generation is submitted once, then polled until it ends. An adapter that
answers synchronously (the local provider, Segmind's binary endpoints) hands
the video back from ``submit``; one that queues a task (MiniMax, Segmind's
async endpoints) returns its task id, which is stored before the first poll,
so a replica that takes the job over polls the same task instead of paying
for a second.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


class ProviderError(Exception):
    """A provider call failed. ``code`` is the generation's failure code;
    ``retryable`` says whether the same call may succeed later (after
    ``retry_after`` seconds when the provider said so); ``counts_against``
    whether it says the provider is unhealthy (the circuit breaker counts it)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        counts_against: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after
        self.counts_against = retryable if counts_against is None else counts_against


def unavailable(message: str, *, retry_after: float | None = None) -> ProviderError:
    """The provider could not answer (5xx, network, timeout, a garbled answer)."""
    return ProviderError("provider_unavailable", message, retryable=True, retry_after=retry_after)


def rate_limited(message: str, *, retry_after: float | None = None) -> ProviderError:
    """The provider refused for now; a busy provider is not a broken one."""
    return ProviderError(
        "provider_rate_limited", message, retryable=True, retry_after=retry_after, counts_against=False
    )


def auth_failed(message: str) -> ProviderError:
    """Our credentials were refused: every tenant's calls would fail alike."""
    return ProviderError("provider_auth_failed", message, retryable=False, counts_against=True)


def out_of_credit(message: str) -> ProviderError:
    return ProviderError("provider_out_of_credit", message, retryable=False, counts_against=True)


def rejected(message: str) -> ProviderError:
    """The provider refused this request (its parameters, its content): no retry helps."""
    return ProviderError("provider_rejected", message, retryable=False)


def generation_failed(message: str) -> ProviderError:
    """The provider accepted the task and then failed it."""
    return ProviderError("generation_failed", message, retryable=False)


@dataclass(frozen=True)
class ModelSpec:
    """What a model makes and accepts."""

    name: str
    # Whole-second durations the model makes; empty: any within [min_s, max_s].
    durations_s: tuple[int, ...] = ()
    min_s: float = 1.0
    max_s: float = 10.0
    resolutions: tuple[str, ...] = ("720p",)
    aspects: tuple[str, ...] = ("16:9",)
    accepts_image: bool = False
    accepts_character: bool = False
    # Resolutions allowed only at some durations: {"1080p": (6,)}.
    resolution_durations: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def nearest(self, *, duration_s: float, resolution: str) -> tuple[float, str]:
        """The duration and resolution this model makes closest to those asked
        (a fallback provider makes what it can)."""
        if self.durations_s:
            duration_s = float(min(self.durations_s, key=lambda d: abs(d - duration_s)))
        else:
            duration_s = min(max(duration_s, self.min_s), self.max_s)
        if resolution not in self.resolutions:
            asked = _lines(resolution)
            resolution = min(self.resolutions, key=lambda r: abs(_lines(r) - asked))
        allowed = self.resolution_durations.get(resolution)
        if allowed and duration_s not in allowed:
            duration_s = float(min(allowed, key=lambda d: abs(d - duration_s)))
        return duration_s, resolution

    def problems(self, *, duration_s: float, resolution: str, aspect: str, image: bool, character: bool) -> list[str]:
        """Why a request does not fit this model (empty: it fits)."""
        found = []
        if self.durations_s and duration_s not in self.durations_s:
            found.append(f"{self.name} makes videos of {' or '.join(map(str, self.durations_s))} s")
        elif not self.durations_s and not self.min_s <= duration_s <= self.max_s:
            found.append(f"{self.name} makes videos of {self.min_s:g} to {self.max_s:g} s")
        if resolution not in self.resolutions:
            found.append(f"{self.name} makes {', '.join(self.resolutions)} videos")
        elif resolution in self.resolution_durations and duration_s not in self.resolution_durations[resolution]:
            allowed = " or ".join(map(str, self.resolution_durations[resolution]))
            found.append(f"{self.name} makes {resolution} videos of {allowed} s only")
        if aspect not in self.aspects:
            found.append(f"{self.name} makes {', '.join(self.aspects)} videos")
        if image and not self.accepts_image:
            found.append(f"{self.name} takes no first-frame image")
        if character and not self.accepts_character:
            found.append(f"{self.name} takes no character reference")
        return found


def _lines(resolution: str) -> int:
    """720 for "720p"."""
    return int(resolution.rstrip("p") or 0)


@dataclass(frozen=True)
class Image:
    """An image sent to a provider."""

    data: bytes
    content_type: str

    def data_url(self) -> str:
        return f"data:{self.content_type};base64,{base64.b64encode(self.data).decode()}"


@dataclass(frozen=True)
class VideoJob:
    """One generation as a provider sees it."""

    generation_id: str
    model: str
    prompt: str
    duration_s: float
    resolution: str
    aspect: str
    seed: int | None = None
    first_frame: Image | None = None
    character: Image | None = None


@dataclass(frozen=True)
class Outcome:
    """Where a provider call left the generation: a task to poll, or the video."""

    task_id: str = ""
    video: Path | None = None
    # What the provider says it charged (None: unknown, the estimate stands).
    cost_micros: int | None = None
    # Progress the provider reports, 0..1, while the task runs.
    fraction: float | None = None

    @property
    def done(self) -> bool:
        return self.video is not None


class VideoProvider(Protocol):
    name: str
    # Procedural (no AI model): the local provider.
    procedural: bool
    default_model: str
    models: dict[str, ModelSpec]

    async def submit(self, job: VideoJob, dest: Path) -> Outcome:
        """Start the generation; the video in ``dest`` if it is made at once."""
        ...

    async def poll(self, task_id: str, dest: Path) -> Outcome:
        """The task's state; the video in ``dest`` once it succeeded.
        A failed task raises :class:`ProviderError`."""
        ...

    async def close(self) -> None: ...
