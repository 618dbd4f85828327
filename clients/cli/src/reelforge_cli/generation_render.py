"""How generations, characters, providers and AI spend look in a terminal."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import RenderableType
from rich.panel import Panel

from reelforge_cli.render import field_grid, new_table, status_text, with_cursor
from reelforge_sdk import Character, Estimate, Generation, Spend


def _usd(value: float | None) -> str:
    return "unlimited" if value is None else f"${value:,.4f}".rstrip("0").rstrip(".")


def generation_panel(generation: Generation, video: Path | None = None) -> Panel:
    made_by = f"{generation.provider} {generation.model}"
    if generation.procedural:
        made_by += " (procedural, not a generative model)"
    rows: list[tuple[str, RenderableType | str | None]] = [
        ("status", status_text(generation.status)),
        ("made by", made_by),
        ("prompt", generation.prompt),
        ("duration", f"{generation.duration_s:g} s"),
        ("cost", f"{_usd(generation.cost_usd)} (estimate {_usd(generation.estimate_usd)})"),
        ("cached from", generation.cached_from),
        ("asset", generation.asset_id),
        ("video", str(video) if video else None),
        ("job", generation.job_id),
        ("error", f"{generation.error.code}: {generation.error.message}" if generation.error else None),
    ]
    return Panel(field_grid(rows), title=f"generation {generation.id}", title_align="left", expand=False)


def generations_table(generations: Sequence[Generation], next_cursor: str | None = None) -> RenderableType:
    table = new_table("id", "status", "provider", "model", "cost", "asset", "prompt")
    for g in generations:
        prompt = g.prompt if len(g.prompt) <= 40 else g.prompt[:39] + "…"
        table.add_row(g.id, status_text(g.status), g.provider, g.model, _usd(g.cost_usd), g.asset_id or "-", prompt)
    return with_cursor(table, len(generations), "generation", next_cursor)


def estimate_panel(estimate: Estimate) -> Panel:
    rows: list[tuple[str, RenderableType | str | None]] = [
        ("provider", f"{estimate.provider} {estimate.model}"),
        ("cost", _usd(estimate.cost_usd) + (" (an identical request is cached)" if estimate.cached else "")),
        ("budget", _usd(estimate.budget_usd)),
        ("spent", _usd(estimate.spent_usd)),
        ("reserved", _usd(estimate.reserved_usd)),
        ("within budget", status_text("yes" if estimate.within_budget else "no")),
    ]
    return Panel(field_grid(rows), title="estimate", title_align="left", expand=False)


def characters_table(characters: Sequence[Character], next_cursor: str | None = None) -> RenderableType:
    table = new_table("id", "name", "project", "image", "active")
    for c in characters:
        table.add_row(c.id, c.name, c.project or "-", c.image_asset_id, "yes" if c.active else "no")
    return with_cursor(table, len(characters), "character", next_cursor)


def spend_panel(spend: Spend) -> RenderableType:
    budget = _usd(spend.budget_usd) + (" (the deployment's default)" if spend.default_budget else "")
    rows: list[tuple[str, RenderableType | str | None]] = [
        ("budget", budget),
        ("spent", _usd(spend.spent_usd)),
        ("reserved", _usd(spend.reserved_usd)),
        ("since", str(spend.raw.get("period_start", ""))),
    ]
    entries = new_table("at", "kind", "provider", "model", "amount", "generation")
    for entry in spend.raw.get("entries", []):
        entries.add_row(
            entry["at"], entry["kind"], entry["provider"], entry["model"], _usd(entry["amount"]["usd"]),
            entry.get("generation_id") or "-",
        )  # fmt: skip
    rows.append(("latest", entries if spend.raw.get("entries") else None))
    return Panel(field_grid(rows), title="AI spend this month", title_align="left", expand=False)


def providers_table(providers: Sequence[dict[str, Any]]) -> RenderableType:
    table = new_table("provider", "model", "durations", "resolutions", "aspects", "inputs", "circuit")
    for provider in providers:
        for model in provider["models"]:
            durations = ", ".join(map(str, model["durations_s"])) or (
                f"{model['min_duration_s']:g}-{model['max_duration_s']:g}"
            )
            inputs = ", ".join(
                name for name, takes in (("image", model["accepts_image"]), ("character", model["accepts_character"]))
                if takes
            )  # fmt: skip
            name = provider["name"] + (" (procedural)" if provider["procedural"] else "")
            table.add_row(
                name, model["name"] + (" *" if model["default"] else ""), f"{durations} s",
                ", ".join(model["resolutions"]), ", ".join(model["aspects"]), inputs or "text",
                status_text(provider["circuit"]),
            )  # fmt: skip
    return table
