"""``reelforge project``, ``reelforge export`` and ``reelforge exports``:
sequences of clips from the tenant's videos, joined into one video."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Group, RenderableType

from reelforge_cli import render
from reelforge_cli.commands.pose import follow
from reelforge_cli.commands.upload import ASSET_TIMEOUT_S, ready_asset_id
from reelforge_cli.errors import UsageError
from reelforge_cli.output import JsonFlag, session
from reelforge_sdk import Export, Page, Project

T = TypeVar("T")
app = typer.Typer(help="Projects: ordered, trimmed clips to export as one video.", no_args_is_help=True)
exports = typer.Typer(help="A project's exports: show, cancel, run again.", no_args_is_help=True)

ProjectId = Annotated[str, typer.Argument(help="The project's id (prj_...).", show_default=False)]
ItemId = Annotated[str, typer.Argument(help="The clip's id in the project (itm_...).", show_default=False)]
ExportId = Annotated[str, typer.Argument(help="The export's id (exp_...).", show_default=False)]
TRANSITIONS = ("cut", "crossfade", "fade_to_black")


def _pages(fetch: Callable[[str | None], Page[T]], cursor: str | None, every: bool) -> tuple[list[T], str | None]:
    """The page at ``cursor``, or (``every``) it and all after it; and the cursor after them."""
    page = fetch(cursor)
    found, after = list(page.items), page.next_cursor
    while every and after:
        page = fetch(after)
        found, after = found + list(page.items), page.next_cursor
    return found, after


def _project_view(project: Project) -> RenderableType:
    grid = render.field_grid(
        [("project", project.id), ("name", project.name), ("clips", str(len(project.items))),
         ("duration", f"{project.duration:.2f} s")]
    )  # fmt: skip
    if not project.items:
        return grid
    table = render.new_table("#", "clip", "asset", "in", "out", "seconds")
    for item in project.items:
        table.add_row(
            str(item.position), item.id, item.asset_id, f"{item.trim_in:.2f}", f"{item.trim_out:.2f}",
            f"{item.duration:.2f}",
        )  # fmt: skip
    return Group(grid, table)


def _export_view(export: Export) -> RenderableType:
    return render.field_grid(
        [
            ("export", export.id),
            ("project", export.project_id),
            ("status", export.status),
            ("duration", f"{export.duration:.2f} s"),
            ("size", str(export.size_bytes) if export.size_bytes else None),
            ("error", f"{export.error.code}: {export.error.message}" if export.error else None),
            ("video", export.video_url),
        ]
    )


@app.command("create")
def create(ctx: typer.Context, name: str, json_output: JsonFlag = False) -> None:
    """A new, empty project."""
    with session(ctx, json_output) as s:
        project = s.client.create_project(name)
        s.out.result(project.raw, lambda: _project_view(project))


@app.command("list")
def list_projects(
    ctx: typer.Context,
    limit: Annotated[int | None, typer.Option(min=1, max=100, help="Page size.")] = None,
    cursor: Annotated[str | None, typer.Option(help="Continue from a previous page's next_cursor.")] = None,
    all_pages: Annotated[bool, typer.Option("--all", help="Follow next_cursor to the last page.")] = False,
    json_output: JsonFlag = False,
) -> None:
    """The tenant's projects, newest first."""
    with session(ctx, json_output) as s:
        found, next_cursor = _pages(lambda at: s.client.list_projects(limit=limit, cursor=at), cursor, all_pages)
        table = render.new_table("id", "name", "created")
        for project in found:
            table.add_row(project.id, project.name, project.created_at.isoformat(timespec="seconds"))
        data = {"items": [project.raw for project in found], "next_cursor": next_cursor}
        s.out.result(data, lambda: render.with_cursor(table, len(found), "project", next_cursor))


@app.command("get")
def get(ctx: typer.Context, project_id: ProjectId, json_output: JsonFlag = False) -> None:
    """A project and its clips in order."""
    with session(ctx, json_output) as s:
        project = s.client.get_project(project_id)
        s.out.result(project.raw, lambda: _project_view(project))


@app.command("rename")
def rename(ctx: typer.Context, project_id: ProjectId, name: str, json_output: JsonFlag = False) -> None:
    """Rename a project."""
    with session(ctx, json_output) as s:
        project = s.client.rename_project(project_id, name)
        s.out.result(project.raw, lambda: _project_view(project))


@app.command("delete")
def delete(ctx: typer.Context, project_id: ProjectId, json_output: JsonFlag = False) -> None:
    """Delete a project (its exports stay)."""
    with session(ctx, json_output) as s:
        s.client.delete_project(project_id)
        s.out.result({"id": project_id, "deleted": True}, lambda: f"deleted project {project_id}")


@app.command("add")
def add(
    ctx: typer.Context,
    project_id: ProjectId,
    source: Annotated[
        str,
        typer.Argument(
            metavar="FILE|ASSET_ID|CLIP_JOB_ID", help="A video file (uploaded), a video asset, or a clip job."
        ),
    ],
    clip: Annotated[
        int | None, typer.Option(min=1, help="With a clip job: which of its clips (1 is the first).")
    ] = None,
    trim_in: Annotated[float, typer.Option("--in", min=0, help="Seconds into the video where the clip starts.")] = 0,
    trim_out: Annotated[
        float | None, typer.Option("--out", min=0, help="Where it ends (default: the video's end).")
    ] = None,
    position: Annotated[int | None, typer.Option("--at", min=0, help="Insert here (0: first; default: last).")] = None,
    json_output: JsonFlag = False,
) -> None:
    """Add a video, or a clip a clip job rendered (--clip N), or part of it,
    as the project's next clip."""
    with session(ctx, json_output) as s:
        if clip is not None:
            project = s.client.add_to_project(
                project_id, clip=(source, clip - 1), trim_in=trim_in, trim_out=trim_out, position=position
            )
        else:
            asset_id = ready_asset_id(s, source, timeout=ASSET_TIMEOUT_S)
            project = s.client.add_to_project(
                project_id, asset_id, trim_in=trim_in, trim_out=trim_out, position=position
            )
        s.out.result(project.raw, lambda: _project_view(project))


@app.command("move")
def move(
    ctx: typer.Context, project_id: ProjectId, item_id: ItemId, position: int, json_output: JsonFlag = False
) -> None:
    """Move a clip to POSITION (0: first); the others shift."""
    with session(ctx, json_output) as s:
        project = s.client.update_project_item(project_id, item_id, position=position)
        s.out.result(project.raw, lambda: _project_view(project))


@app.command("trim")
def trim(
    ctx: typer.Context,
    project_id: ProjectId,
    item_id: ItemId,
    trim_in: Annotated[float | None, typer.Option("--in", min=0, help="New start in the video, seconds.")] = None,
    trim_out: Annotated[float | None, typer.Option("--out", min=0, help="New end (0: the video's end).")] = None,
    json_output: JsonFlag = False,
) -> None:
    """Change where a clip starts and ends in its video."""
    with session(ctx, json_output) as s:
        if trim_in is None and trim_out is None:
            raise UsageError("nothing_to_change", "give --in, --out or both")
        project = s.client.update_project_item(project_id, item_id, trim_in=trim_in, trim_out=trim_out)
        s.out.result(project.raw, lambda: _project_view(project))


@app.command("duplicate")
def duplicate(ctx: typer.Context, project_id: ProjectId, item_id: ItemId, json_output: JsonFlag = False) -> None:
    """Copy a clip; the copy comes right after it."""
    with session(ctx, json_output) as s:
        project = s.client.duplicate_project_item(project_id, item_id)
        s.out.result(project.raw, lambda: _project_view(project))


@app.command("remove")
def remove(ctx: typer.Context, project_id: ProjectId, item_id: ItemId, json_output: JsonFlag = False) -> None:
    """Take a clip out of the project."""
    with session(ctx, json_output) as s:
        project = s.client.remove_project_item(project_id, item_id)
        s.out.result(project.raw, lambda: _project_view(project))


@app.command("exports")
def history(
    ctx: typer.Context,
    project_id: ProjectId,
    limit: Annotated[int | None, typer.Option(min=1, max=100, help="Page size.")] = None,
    cursor: Annotated[str | None, typer.Option(help="Continue from a previous page's next_cursor.")] = None,
    all_pages: Annotated[bool, typer.Option("--all", help="Follow next_cursor to the last page.")] = False,
    json_output: JsonFlag = False,
) -> None:
    """The project's exports, newest first."""
    with session(ctx, json_output) as s:
        found, next_cursor = _pages(
            lambda at: s.client.list_exports(project_id, limit=limit, cursor=at), cursor, all_pages
        )
        table = render.new_table("export", "status", "seconds", "size")
        for made in found:
            table.add_row(made.id, made.status, f"{made.duration:.2f}", str(made.size_bytes or "-"))
        data = {"items": [made.raw for made in found], "next_cursor": next_cursor}
        s.out.result(data, lambda: render.with_cursor(table, len(found), "export", next_cursor))


def _transition(value: str) -> tuple[str, float]:
    kind, _, seconds = value.partition(":")
    if kind not in TRANSITIONS:
        raise UsageError("unknown_transition", f"--transition {value!r}: expected {', '.join(TRANSITIONS)}[:SECONDS]")
    try:
        return kind, float(seconds) if seconds else (0.0 if kind == "cut" else 0.5)
    except ValueError:
        raise UsageError("unknown_transition", f"--transition {value!r}: SECONDS is a number") from None


def export(
    ctx: typer.Context,
    project_id: ProjectId,
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder to download the video into.")],
    resolution: Annotated[str, typer.Option(help="720p, 1080p or 4K.")] = "1080p",
    aspect: Annotated[str, typer.Option(help="16:9, 9:16, 1:1 or 4:5.")] = "16:9",
    fps: Annotated[float, typer.Option(min=1, max=120, help="Frames per second.")] = 30,
    codec: Annotated[str, typer.Option(help="h264, h265 or av1.")] = "h264",
    quality: Annotated[str, typer.Option(help="low, medium, high or lossless.")] = "medium",
    no_audio: Annotated[bool, typer.Option("--no-audio", help="A video without sound.")] = False,
    audio_codec: Annotated[str, typer.Option(help="aac or opus.")] = "aac",
    audio_bitrate: Annotated[int, typer.Option(min=32, max=512, help="kb/s.")] = 128,
    transition: Annotated[
        list[str] | None,
        typer.Option(
            metavar="TYPE[:SECONDS]",
            help="cut, crossfade or fade_to_black (default 0.5 s); once: every join; repeated: one per join.",
        ),
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Join the project's clips into one MP4, following the job live, then
    download it into --output (<export id>.mp4).

    With --json, prints the export (with `file`, the local video's name).
    """
    with session(ctx, json_output) as s:
        transitions = [_transition(value) for value in transition or []]
        job = s.client.export_project(
            project_id, resolution=resolution, aspect=aspect, fps=fps, codec=codec, quality=quality,
            audio=not no_audio, audio_codec=audio_codec, audio_bitrate=audio_bitrate, transitions=transitions,
        )  # fmt: skip
        s.out.note(f"exporting project {project_id} (job {job.id})")
        job = follow(s, job)
        made = s.client.get_export(job.resource_id)
        assert made.video_url is not None
        output.mkdir(parents=True, exist_ok=True)
        name = s.client.download(made.video_url, output / f"{made.id}.mp4").name
        s.out.result({**made.raw, "file": name}, lambda: _export_view(made))
        s.out.note(f"wrote {output / name}")


@exports.command("get")
def get_export(ctx: typer.Context, export_id: ExportId, json_output: JsonFlag = False) -> None:
    """An export: status, duration and, once completed, its video's URL."""
    with session(ctx, json_output) as s:
        found = s.client.get_export(export_id)
        s.out.result(found.raw, lambda: _export_view(found))


@exports.command("cancel")
def cancel_export(ctx: typer.Context, export_id: ExportId, json_output: JsonFlag = False) -> None:
    """Stop a queued or running export; nothing is stored."""
    with session(ctx, json_output) as s:
        found = s.client.cancel_export(export_id)
        s.out.result(found.raw, lambda: _export_view(found))


@exports.command("rerun")
def rerun_export(ctx: typer.Context, export_id: ExportId, json_output: JsonFlag = False) -> None:
    """Export the same project again with the same settings, following it live."""
    with session(ctx, json_output) as s:
        job = follow(s, s.client.rerun_export(export_id))
        found = s.client.get_export(job.resource_id)
        s.out.result(found.raw, lambda: _export_view(found))
