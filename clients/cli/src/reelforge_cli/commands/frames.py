"""``reelforge frames``: still frames of a video as image assets (first
frames and character references for ``reelforge generate``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from reelforge_cli import render
from reelforge_cli.commands.upload import ASSET_TIMEOUT_S, ready_asset_id
from reelforge_cli.errors import UsageError
from reelforge_cli.output import JsonFlag, session
from reelforge_sdk import Frame

FORMATS = ("png", "jpg")


def frames(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="FILE|ASSET_ID", help="A video file (uploaded) or video asset.")],
    at: Annotated[
        list[float] | None,
        typer.Option("--at", min=0, metavar="SECONDS", help="Seconds into the video (repeat, up to 20 times)."),
    ] = None,
    first: Annotated[bool, typer.Option("--first", help="The first frame.")] = False,
    last: Annotated[bool, typer.Option("--last", help="The last frame.")] = False,
    image_format: Annotated[str, typer.Option("--format", help="png (lossless) or jpg.")] = "png",
    quality: Annotated[int, typer.Option(min=1, max=100, help="JPEG quality, 1 to 100.")] = 90,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Folder to download the images into, once ready.")
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Take still frames of a video, at full resolution, each stored as a new
    image asset: the frame shown at or after each --at, or the --first or
    --last frame. With --output, waits for the images and downloads them
    (frame-<seconds>.<format>).

    With --json, prints the frames (with `file` when downloaded).
    """
    with session(ctx, json_output) as s:
        chosen = [name for name, on in (("--at", bool(at)), ("--first", first), ("--last", last)) if on]
        if len(chosen) != 1:
            raise UsageError("choose_frames", "give --at (one or more times), --first or --last: exactly one")
        if image_format not in FORMATS:
            raise UsageError("unknown_format", f"--format {image_format!r}: expected png or jpg")
        asset_id = ready_asset_id(s, source, timeout=ASSET_TIMEOUT_S)
        position = "first" if first else "last" if last else None
        made = s.client.extract_frames(
            asset_id, timestamps=at or None, position=position, format=image_format, quality=quality
        )
        files: dict[str, str] = {}
        if output is not None:
            output.mkdir(parents=True, exist_ok=True)
            for frame in made:
                image = s.client.wait_for_asset(frame.asset.id, timeout=ASSET_TIMEOUT_S)
                link = s.client.download_url(image.id)
                name = f"frame-{frame.timestamp_s:09.3f}.{image_format}"
                files[frame.asset.id] = s.client.download(link.url, output / name).name
        data: list[dict[str, Any]] = [{**f.raw, **({"file": files[f.asset.id]} if files else {})} for f in made]
        s.out.result({"frames": data}, lambda: _table(made, files))


def _table(made: list[Frame], files: dict[str, str]) -> Table:
    table = render.new_table("time", "asset", "file" if files else "status")
    for frame in made:
        table.add_row(f"{frame.timestamp_s:.3f} s", frame.asset.id, files.get(frame.asset.id, frame.asset.status))
    return table
