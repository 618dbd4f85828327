"""A pose track: every sampled frame's people with their landmarks, and the
file format it is stored in.

Stored as a NumPy ``.npz`` (zip of ``.npy`` arrays,
DEFLATE-compressed), readable with ``numpy.load(..., allow_pickle=False)``:

==============  =================  ==========================================
array           shape, type        meaning
==============  =================  ==========================================
``times``       (F,) float32       seconds of each sampled frame
``image``       (F, P, 33, 4) f16  x, y in fractions of the frame, z, visibility
``world``       (F, P, 33, 4) f16  metres from the hips' centre, visibility
``person``      (F, P) int16       track id of each slot, -1 where empty
``meta``        (5,) float64       fps, width, height, main person id, version
==============  =================  ==========================================

Slots hold a frame's people in no particular order; ``person`` says who is
who, consistently across frames. The main person is the subject other
services follow (-1: nobody was found).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

FORMAT_VERSION = 1
_EMPTY_SLOT = -1


@dataclass(frozen=True)
class PoseTrack:
    times: np.ndarray
    image: np.ndarray
    world: np.ndarray
    person: np.ndarray
    fps: float
    width: int
    height: int
    main_person: int

    @property
    def frame_count(self) -> int:
        return int(self.times.shape[0])

    @property
    def no_person(self) -> bool:
        return self.main_person < 0

    def subject(self) -> tuple[np.ndarray, np.ndarray]:
        """The main person's (F, 33, 4) image and world landmarks, float32, NaN where not seen."""
        frames = self.frame_count
        image = np.full((frames, self.image.shape[2], 4), np.nan, np.float32)
        world = image.copy()
        if self.no_person:
            return image, world
        rows, slots = np.nonzero(self.person == self.main_person)
        image[rows] = self.image[rows, slots]
        world[rows] = self.world[rows, slots]
        return image, world

    def people(self) -> list[int]:
        return sorted(int(p) for p in np.unique(self.person) if p != _EMPTY_SLOT)

    def between(self, start_s: float, end_s: float) -> PoseTrack:
        """The frames shown from ``start_s`` up to ``end_s`` (0 or less: the end)."""
        keep = self.times >= start_s - 1e-6
        if end_s > 0:
            keep &= self.times < end_s - 1e-6
        return PoseTrack(
            self.times[keep],
            self.image[keep],
            self.world[keep],
            self.person[keep],
            self.fps,
            self.width,
            self.height,
            self.main_person,
        )

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        meta = np.array([self.fps, self.width, self.height, self.main_person, FORMAT_VERSION], np.float64)
        np.savez_compressed(
            buffer,
            times=self.times.astype(np.float32),
            image=self.image.astype(np.float16),
            world=self.world.astype(np.float16),
            person=self.person.astype(np.int16),
            meta=meta,
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> PoseTrack:
        with np.load(io.BytesIO(data), allow_pickle=False) as stored:
            fps, width, height, main_person, version = stored["meta"].tolist()
            if int(version) != FORMAT_VERSION:
                raise ValueError(f"pose track format {int(version)} is not {FORMAT_VERSION}")
            return cls(
                times=stored["times"],
                image=stored["image"].astype(np.float32),
                world=stored["world"].astype(np.float32),
                person=stored["person"].astype(np.int32),
                fps=float(fps),
                width=int(width),
                height=int(height),
                main_person=int(main_person),
            )
