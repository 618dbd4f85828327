"""``reelforge generate`` and friends: videos from a prompt, a first frame or
a character, through the deployment's AI providers (``local`` works offline)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from reelforge_cli import generation_render as views
from reelforge_cli.commands.pose import follow
from reelforge_cli.commands.upload import ASSET_TIMEOUT_S, ready_asset_id
from reelforge_cli.errors import UsageError
from reelforge_cli.output import JsonFlag, session

RESOLUTIONS = ("480p", "512p", "720p", "768p", "1080p")
ASPECTS = ("16:9", "9:16", "1:1")
GenerationId = Annotated[str, typer.Argument(help="The generation's id (gen_...).", show_default=False)]
CharacterId = Annotated[str, typer.Argument(help="The character's id (ch_...).", show_default=False)]


def generate(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder to download the video into.")],
    prompt: Annotated[str, typer.Option(help="What to show (up to 2000 characters).")] = "",
    provider: Annotated[str, typer.Option(help="local, minimax, segmind (see `reelforge providers`).")] = "local",
    model: Annotated[str | None, typer.Option(help="Default: the provider's default model.")] = None,
    image: Annotated[
        str | None, typer.Option(metavar="FILE|ASSET_ID", help="First frame: an image file (uploaded) or image asset.")
    ] = None,
    character: Annotated[str | None, typer.Option(help="A character's id: its image is the subject.")] = None,
    duration: Annotated[float | None, typer.Option(min=0.1, max=60, help="Seconds; default: the model's.")] = None,
    resolution: Annotated[str | None, typer.Option(help=f"One of {', '.join(RESOLUTIONS)}.")] = None,
    aspect: Annotated[str | None, typer.Option(help=f"One of {', '.join(ASPECTS)}.")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Same seed, same request: the cached result.")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Call the provider even if cached.")] = False,
    estimate: Annotated[bool, typer.Option("--estimate", help="Only print the cost estimate; submit nothing.")] = False,
    json_output: JsonFlag = False,
) -> None:
    """Generate a video, following the job live, then download it into
    --output (<generation id>.mp4) and write --output/generation.json. The
    video is also an asset: sequence, clip or download it like an upload.

    With --json, prints the generation (with `file`, the local video's name).
    """
    with session(ctx, json_output) as s:
        if resolution is not None and resolution not in RESOLUTIONS:
            raise UsageError(
                "unknown_resolution", f"--resolution {resolution!r}: expected one of {', '.join(RESOLUTIONS)}"
            )
        if aspect is not None and aspect not in ASPECTS:
            raise UsageError("unknown_aspect", f"--aspect {aspect!r}: expected one of {', '.join(ASPECTS)}")
        if not prompt and image is None:
            raise UsageError("nothing_to_generate", "give --prompt, --image or both")
        options: dict[str, Any] = {
            "provider": provider, "model": model, "character_id": character, "duration": duration,
            "resolution": resolution, "aspect": aspect, "seed": seed,
        }  # fmt: skip
        if image is not None:
            options["image_asset_id"] = ready_asset_id(s, image, timeout=ASSET_TIMEOUT_S)
        if estimate:
            given = {name: value for name, value in options.items() if value is not None}
            found = s.client.estimate_generation(prompt, **given)
            s.out.result(found.raw, lambda: views.estimate_panel(found))
            return
        job = s.client.create_generation(prompt, cache=not no_cache, **options)
        s.out.note(f"generating with {provider} (job {job.id})")
        job = follow(s, job)
        made = s.client.get_generation(job.resource_id)
        output.mkdir(parents=True, exist_ok=True)
        record: dict[str, Any] = dict(made.raw)
        video = None
        if made.video_url:
            video = s.client.download(made.video_url, output / f"{made.id}.mp4")
            record["file"] = video.name
        (output / "generation.json").write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", "utf-8")
        s.out.result(record, lambda: views.generation_panel(made, video))
        s.out.note(f"wrote {video or 'nothing'} and generation.json; the video is asset {made.asset_id}")


def providers(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """The AI providers this deployment offers, their models (* the default) and what each takes."""
    with session(ctx, json_output) as s:
        found = s.client.list_providers()
        s.out.result(found, lambda: views.providers_table(found))


def spend(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """The tenant's monthly AI budget, what was spent and the latest charges."""
    with session(ctx, json_output) as s:
        found = s.client.get_spend()
        s.out.result(found.raw, lambda: views.spend_panel(found))


generations = typer.Typer(help="List, show and cancel generations.", no_args_is_help=True)


@generations.command("list")
def list_generations(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="queued, running, succeeded, failed or cancelled.")] = None,
    provider: Annotated[str | None, typer.Option(help="Only this provider's.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 20,
    cursor: Annotated[str | None, typer.Option(help="`next_cursor` of the previous page.")] = None,
    json_output: JsonFlag = False,
) -> None:
    """The tenant's generations, newest first."""
    with session(ctx, json_output) as s:
        page = s.client.list_generations(status=status, provider=provider, limit=limit, cursor=cursor)
        s.out.result(page.raw, lambda: views.generations_table(page.items, page.next_cursor))


@generations.command("get")
def get_generation(ctx: typer.Context, generation_id: GenerationId, json_output: JsonFlag = False) -> None:
    with session(ctx, json_output) as s:
        found = s.client.get_generation(generation_id)
        s.out.result(found.raw, lambda: views.generation_panel(found))


@generations.command("cancel")
def cancel_generation(ctx: typer.Context, generation_id: GenerationId, json_output: JsonFlag = False) -> None:
    """Stop a queued or running generation."""
    with session(ctx, json_output) as s:
        found = s.client.cancel_generation(generation_id)
        s.out.result(found.raw, lambda: views.generation_panel(found))


characters = typer.Typer(help="Named reference images for generations.", no_args_is_help=True)


@characters.command("create")
def create_character(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The character's name.", show_default=False)],
    image: Annotated[str, typer.Argument(metavar="FILE|ASSET_ID", help="Its reference image.", show_default=False)],
    project: Annotated[str, typer.Option(help="Group characters by project.")] = "",
    json_output: JsonFlag = False,
) -> None:
    """A character from an image file (uploaded) or an image asset."""
    with session(ctx, json_output) as s:
        asset_id = ready_asset_id(s, image, timeout=ASSET_TIMEOUT_S)
        found = s.client.create_character(name, asset_id, project=project)
        s.out.result(found.raw, lambda: views.characters_table([found]))


@characters.command("list")
def list_characters(
    ctx: typer.Context,
    project: Annotated[str | None, typer.Option(help="Only this project's.")] = None,
    active: Annotated[bool, typer.Option("--active", help="Only active characters.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 20,
    cursor: Annotated[str | None, typer.Option(help="`next_cursor` of the previous page.")] = None,
    json_output: JsonFlag = False,
) -> None:
    with session(ctx, json_output) as s:
        page = s.client.list_characters(project=project, active_only=active, limit=limit, cursor=cursor)
        s.out.result(page.raw, lambda: views.characters_table(page.items, page.next_cursor))


@characters.command("update")
def update_character(
    ctx: typer.Context,
    character_id: CharacterId,
    name: Annotated[str | None, typer.Option(help="A new name.")] = None,
    active: Annotated[bool | None, typer.Option("--active/--inactive", help="(De)activate it.")] = None,
    json_output: JsonFlag = False,
) -> None:
    with session(ctx, json_output) as s:
        changes = {key: value for key, value in (("name", name), ("active", active)) if value is not None}
        if not changes:
            raise UsageError("nothing_to_change", "give --name, --active or --inactive")
        found = s.client.update_character(character_id, **changes)
        s.out.result(found.raw, lambda: views.characters_table([found]))


@characters.command("delete")
def delete_character(ctx: typer.Context, character_id: CharacterId, json_output: JsonFlag = False) -> None:
    with session(ctx, json_output) as s:
        s.client.delete_character(character_id)
        s.out.result({"deleted": character_id}, lambda: f"deleted {character_id}")
