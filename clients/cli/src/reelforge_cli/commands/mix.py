"""``reelforge mix``: variants for A/B posting, each joining one clip from
every group of videos."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from reelforge_cli import render
from reelforge_cli.commands.pose import follow
from reelforge_cli.commands.upload import ASSET_TIMEOUT_S, ready_asset_id
from reelforge_cli.errors import UsageError
from reelforge_cli.output import JsonFlag, session


def mix(
    ctx: typer.Context,
    group: Annotated[
        list[str],
        typer.Option(
            metavar="FILE|ASSET_ID,...",
            help="A group of videos, comma-separated (files are uploaded); repeat for each group, in order.",
        ),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder to download the variants into.")],
    variants: Annotated[int | None, typer.Option(min=1, max=50, help="Auto: this many distinct variants.")] = None,
    combination: Annotated[
        list[str] | None,
        typer.Option(metavar="I,J,...", help="Manual: one index into each group (0-based); repeat for each variant."),
    ] = None,
    name: Annotated[str, typer.Option(help="Written into each file's title, with the variant's number.")] = "mix",
    resolution: Annotated[str, typer.Option(help="720p, 1080p or 4K.")] = "1080p",
    aspect: Annotated[str, typer.Option(help="16:9, 9:16, 1:1 or 4:5.")] = "16:9",
    transition: Annotated[
        str | None, typer.Option(metavar="TYPE[:SECONDS]", help="cut, crossfade or fade_to_black between the clips.")
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Make variants of a video for A/B posting: each joins one clip from every
    --group, in order. --variants N picks N distinct combinations; each
    --combination I,J,... makes that one. Follows the job live, then
    downloads variant-NN.mp4 files and mix.json into --output.

    With --json, prints the mix (each variant with `file`).
    """
    with session(ctx, json_output) as s:
        if (variants is None) == (combination is None):
            raise UsageError("choose_variants", "give --variants N or --combination (repeated), not both")
        try:
            picks = [[int(i) for i in value.split(",")] for value in combination] if combination else None
        except ValueError:
            raise UsageError("bad_combination", "--combination takes indexes like 0,1,0") from None
        groups = [[ready_asset_id(s, item, timeout=ASSET_TIMEOUT_S) for item in g.split(",") if item] for g in group]
        settings: dict[str, Any] = {"resolution": resolution, "aspect": aspect}
        if transition is not None:
            kind, _, seconds = transition.partition(":")
            settings["transitions"] = [{"type": kind, **({"duration": float(seconds)} if seconds else {})}]
        job = s.client.create_mix(groups, variants=variants, combinations=picks, name=name, settings=settings)
        s.out.note(f"mixing {len(groups)} groups (job {job.id})")
        job = follow(s, job)
        made = s.client.get_mix(job.resource_id)
        output.mkdir(parents=True, exist_ok=True)
        listed = []
        for variant in made.variants:
            assert variant.video_url is not None
            file = s.client.download(variant.video_url, output / f"variant-{variant.index + 1:02d}.mp4").name
            listed.append({**made.raw["variants"][variant.index], "file": file})
        data = {**made.raw, "variants": listed}
        (output / "mix.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        table = render.new_table("variant", "clips", "seconds", "file")
        for entry in listed:
            table.add_row(
                str(entry["index"] + 1), ", ".join(entry["asset_ids"]), f"{entry['duration']:.2f}", entry["file"]
            )
        s.out.result(data, lambda: table)
        s.out.note(f"wrote {len(listed)} variants and mix.json to {output}")
