"""``reelforge session``: practice sessions — a reference video, the
person's recordings scored against it, and videos of the session."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Group, RenderableType

from reelforge_cli import render
from reelforge_cli.commands.pose import follow
from reelforge_cli.commands.upload import ASSET_TIMEOUT_S, ready_asset_id
from reelforge_cli.output import JsonFlag, session
from reelforge_sdk import PracticeSession

app = typer.Typer(help="Practice sessions: recordings scored against a reference video.", no_args_is_help=True)
SessionId = Annotated[str, typer.Argument(help="The session's id (ses_...).", show_default=False)]
Source = Annotated[str, typer.Argument(metavar="FILE|ASSET_ID", help="A video file (uploaded) or video asset.")]


def _view(found: PracticeSession) -> RenderableType:
    grid = render.field_grid(
        [("session", found.id), ("name", found.name), ("reference", found.reference_asset_id),
         ("score", f"{found.score:.0f}/100 ({found.completed} of {len(found.recordings)} scored)")]
    )  # fmt: skip
    table = render.new_table("#", "recording", "reference span", "status", "score", "feedback")
    for recording in found.recordings:
        table.add_row(
            str(recording.position + 1), recording.asset_id,
            f"{recording.reference_start_s:.2f}-{recording.reference_end_s:.2f} s", recording.status,
            f"{recording.score:.0f}" if recording.status == "completed" else "-",
            "\n".join(item.text for item in recording.feedback),
        )  # fmt: skip
    return Group(grid, table) if found.recordings else grid


@app.command("create")
def create(
    ctx: typer.Context,
    reference: Source,
    name: Annotated[str, typer.Option(help="A name for the session.")] = "practice",
    json_output: JsonFlag = False,
) -> None:
    """A new session on a reference video."""
    with session(ctx, json_output) as s:
        made = s.client.create_session(ready_asset_id(s, reference, timeout=ASSET_TIMEOUT_S), name=name)
        s.out.result(made.raw, lambda: _view(made))


@app.command("add")
def add(
    ctx: typer.Context,
    session_id: SessionId,
    recording: Source,
    start: Annotated[float | None, typer.Option(min=0, help="Start of the reference span it imitates.")] = None,
    end: Annotated[float | None, typer.Option(min=0, help="End of that span (default: the reference's end).")] = None,
    wait: Annotated[bool, typer.Option(help="Wait for the recording's score.")] = True,
    json_output: JsonFlag = False,
) -> None:
    """Add the next recording; by default it imitates the reference from where
    the previous one's span ended, for as long as it lasts."""
    with session(ctx, json_output) as s:
        asset_id = ready_asset_id(s, recording, timeout=ASSET_TIMEOUT_S)
        span = (start or 0.0, end) if start is not None or end is not None else None
        made = s.client.add_recording(session_id, asset_id, reference_span=span)
        if wait:
            follow(s, s.client.get_job(made.recordings[-1].job_id))
            made = s.client.get_session(session_id)
        s.out.result(made.raw, lambda: _view(made))


@app.command("get")
def get(ctx: typer.Context, session_id: SessionId, json_output: JsonFlag = False) -> None:
    """The session's summary: each recording's score and feedback, and the overall score."""
    with session(ctx, json_output) as s:
        found = s.client.get_session(session_id)
        s.out.result(found.raw, lambda: _view(found))


@app.command("export")
def export(
    ctx: typer.Context,
    session_id: SessionId,
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder to download the video into.")],
    kind: Annotated[
        str, typer.Option(help="solo (the recordings) or comparison (beside the reference).")
    ] = "comparison",
    resolution: Annotated[str, typer.Option(help="480p, 720p or 1080p.")] = "720p",
    video_format: Annotated[str, typer.Option("--format", help="mp4 or webm.")] = "mp4",
    layout: Annotated[str, typer.Option(help="Comparison: side_by_side or interleaved.")] = "side_by_side",
    json_output: JsonFlag = False,
) -> None:
    """A video of the session, followed live and downloaded into --output."""
    with session(ctx, json_output) as s:
        asked = s.client.export_session(
            session_id, kind=kind, resolution=resolution, format=video_format, layout=layout
        )
        job = follow(s, asked)
        made = s.client.get_session_export(job.resource_id)
        assert made.video_url is not None
        output.mkdir(parents=True, exist_ok=True)
        name = s.client.download(made.video_url, output / f"session-{kind}.{video_format}").name
        s.out.result({**made.raw, "file": name}, lambda: f"wrote {output / name} ({made.duration:.1f} s)")
