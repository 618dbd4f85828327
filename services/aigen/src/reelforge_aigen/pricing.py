"""Prices: an estimate before a request is submitted, the charge when the
provider does not report one.

A model's price is ``(base_usd + per_second_usd * duration) * resolution
multiplier`` for video, and per million tokens in and out for chat. The
built-in table holds list prices as published (estimates, in USD); a
deployment overrides any entry with ``REELFORGE_PRICING``. ``"*"`` prices
a provider's models that have no entry of their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field

MICROS = 1_000_000


class Price(BaseModel):
    base_usd: float = Field(default=0.0, ge=0)
    per_second_usd: float = Field(default=0.0, ge=0)
    # Multiplier by resolution; a resolution not listed costs 1x.
    resolutions: dict[str, float] = {}
    input_per_million_usd: float = Field(default=0.0, ge=0)
    output_per_million_usd: float = Field(default=0.0, ge=0)


DEFAULT_PRICES: dict[str, dict[str, dict[str, Any]]] = {
    "local": {"*": {}},
    # MiniMax pay-as-you-go: Hailuo-02 768P about $0.28 for 6 s; 1080P about $0.49; 512P about $0.10.
    "minimax": {
        "MiniMax-Hailuo-02": {"per_second_usd": 0.047, "resolutions": {"512p": 0.36, "768p": 1.0, "1080p": 1.75}},
        "S2V-01": {"base_usd": 0.43},
        "*": {"per_second_usd": 0.05},
    },
    # Segmind's model pages: Kling text-to-video $0.28 for 5 s; LTX-Video about $0.057 a call.
    "segmind": {
        "kling-text2video": {"per_second_usd": 0.056},
        "ltx-video": {"base_usd": 0.057},
        "*": {"per_second_usd": 0.1},
    },
    # gpt-4o-mini's list price; other models fall back to "*".
    "llm": {
        "gpt-4o-mini": {"input_per_million_usd": 0.15, "output_per_million_usd": 0.60},
        "*": {"input_per_million_usd": 2.5, "output_per_million_usd": 10.0},
    },
}


class PriceList:
    def __init__(self, overrides: Mapping[str, Mapping[str, Any]]) -> None:
        self._prices: dict[str, dict[str, Price]] = {}
        for provider in {*DEFAULT_PRICES, *overrides}:
            entries = {**DEFAULT_PRICES.get(provider, {}), **overrides.get(provider, {})}
            self._prices[provider] = {model: Price.model_validate(entry) for model, entry in entries.items()}

    def price(self, provider: str, model: str) -> Price:
        models = self._prices.get(provider, {})
        return models.get(model) or models.get("*") or Price()

    def video_micros(self, provider: str, model: str, *, duration_s: float, resolution: str) -> int:
        price = self.price(provider, model)
        usd = (price.base_usd + price.per_second_usd * duration_s) * price.resolutions.get(resolution, 1.0)
        return round(usd * MICROS)

    def chat_micros(self, model: str, *, prompt_tokens: int, completion_tokens: int) -> int:
        price = self.price("llm", model)
        usd = (prompt_tokens * price.input_per_million_usd + completion_tokens * price.output_per_million_usd) / 1e6
        return round(usd * MICROS)
