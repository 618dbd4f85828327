"""``reelforge clip``: a video's best moments as ready-to-post clips, downloaded to a folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from reelforge_cli import render
from reelforge_cli.commands.pose import follow
from reelforge_cli.commands.upload import ASSET_TIMEOUT_S, ready_asset_id
from reelforge_cli.errors import UsageError
from reelforge_cli.output import JsonFlag, Session, session
from reelforge_sdk import ClipJob

ASPECTS = ("9:16", "1:1", "4:5", "16:9")
STYLES = ("highlight", "pop", "classic")


def clip(
    ctx: typer.Context,
    source: Annotated[
        str, typer.Argument(metavar="FILE|ASSET_ID", help="A video file (uploaded first) or an asset's id.")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder to download the clips into.")],
    count: Annotated[int, typer.Option(min=1, max=20, help="How many clips, best first.")] = 3,
    aspect: Annotated[str, typer.Option(help=f"The clips' shape: {', '.join(ASPECTS)}.")] = "9:16",
    prompt: Annotated[str | None, typer.Option(help='What to look for, e.g. "when she talks about pricing".')] = None,
    no_captions: Annotated[bool, typer.Option("--no-captions", help="No burned-in captions.")] = False,
    caption_style: Annotated[str, typer.Option(help=f"Captions: {', '.join(STYLES)}.")] = "highlight",
    min_duration: Annotated[float, typer.Option("--min", min=1, help="Shortest clip, seconds.")] = 10,
    max_duration: Annotated[float, typer.Option("--max", min=1, help="Longest clip, seconds.")] = 60,
    json_output: JsonFlag = False,
) -> None:
    """Find a video's best moments and render them as clips, following the job
    live, then download each clip's MP4, thumbnail and SRT into --output and
    write --output/clips.json (the clip job, with local file names).

    With --json, prints what clips.json holds.
    """
    with session(ctx, json_output) as s:
        if aspect not in ASPECTS:
            raise UsageError("unknown_aspect", f"--aspect {aspect!r}: expected one of {', '.join(ASPECTS)}")
        if caption_style not in STYLES:
            raise UsageError("unknown_style", f"--caption-style {caption_style!r}: expected one of {', '.join(STYLES)}")
        if min_duration > max_duration:
            raise UsageError("bad_durations", "--min must not exceed --max")
        asset_id = ready_asset_id(s, source, timeout=ASSET_TIMEOUT_S)
        job = s.client.create_clip_job(
            asset_id,
            count=count,
            min_duration=min_duration,
            max_duration=max_duration,
            aspect=aspect,
            captions={"style": caption_style},
            no_captions=no_captions,
            prompt=prompt,
        )
        s.out.note(f"finding {count} clips in asset {asset_id} (job {job.id})")
        job = follow(s, job)
        found = s.client.get_clip_job(job.resource_id)
        manifest = _download(s, found, output)
        s.out.result(manifest, lambda: render.clips_table(found, output))
        s.out.note(f"wrote {len(found.clips)} clips and clips.json to {output}")


def _download(s: Session, job: ClipJob, folder: Path) -> dict[str, Any]:
    """Each clip's files into ``folder``; returns clips.json's content, which it writes there too."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {**job.raw, "clips": []}
    for clip in job.clips:
        entry = dict(clip.raw)
        for name, url, suffix in (
            ("file", clip.video_url, "mp4"),
            ("thumbnail_file", clip.thumbnail_url, "jpg"),
            ("subtitles_file", clip.subtitles_url, "srt"),
        ):
            if url is not None:
                entry[name] = s.client.download(url, folder / f"clip-{clip.index + 1:02d}.{suffix}").name
        manifest["clips"].append(entry)
    (folder / "clips.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest
