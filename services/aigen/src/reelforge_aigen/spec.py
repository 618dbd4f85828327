"""A generation request as asked, its defaults filled in, and its cache key."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from typing import Any

from reelforge.aigen.v1 import aigen_pb2

MAX_PROMPT = 2000


@dataclass(frozen=True)
class Spec:
    provider: str
    model: str
    prompt: str
    duration_s: float
    resolution: str
    aspect: str
    image_asset_id: str = ""
    character_id: str = ""
    seed: int | None = None
    no_cache: bool = False

    @classmethod
    def from_message(cls, message: aigen_pb2.GenerationSpec) -> Spec:
        return cls(
            provider=message.provider,
            model=message.model,
            prompt=message.prompt.strip(),
            duration_s=message.duration_s,
            resolution=message.resolution.lower(),
            aspect=message.aspect,
            image_asset_id=message.image_asset_id,
            character_id=message.character_id,
            seed=message.seed if message.HasField("seed") else None,
            no_cache=message.no_cache,
        )

    def to_message(self, tenant_id: str) -> aigen_pb2.GenerationSpec:
        message = aigen_pb2.GenerationSpec(
            tenant_id=tenant_id,
            provider=self.provider,
            model=self.model,
            prompt=self.prompt,
            duration_s=self.duration_s,
            resolution=self.resolution,
            aspect=self.aspect,
            image_asset_id=self.image_asset_id,
            character_id=self.character_id,
            no_cache=self.no_cache,
        )
        if self.seed is not None:
            message.seed = self.seed
        return message

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str | dict[str, Any]) -> Spec:
        return cls(**(json.loads(text) if isinstance(text, str) else text))

    def with_defaults(self, *, model: str, duration_s: float, resolution: str, aspect: str) -> Spec:
        return replace(
            self,
            model=self.model or model,
            duration_s=self.duration_s or duration_s,
            resolution=self.resolution or resolution,
            aspect=self.aspect or aspect,
        )

    def request_hash(self, character_image_asset_id: str) -> str:
        """What determines the result: identical requests of a tenant share it.
        A character counts by its image, so renaming it keeps the cache."""
        determining = {
            "provider": self.provider,
            "model": self.model,
            "prompt": self.prompt,
            "duration_s": round(self.duration_s, 3),
            "resolution": self.resolution,
            "aspect": self.aspect,
            "image": self.image_asset_id,
            "character_image": character_image_asset_id,
            "seed": self.seed,
        }
        return hashlib.sha256(json.dumps(determining, sort_keys=True).encode()).hexdigest()
