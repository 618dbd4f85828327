"""``reelforge pose`` (the people in a video) and ``reelforge compare`` (an attempt scored against a reference)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reelforge_cli import render
from reelforge_cli.commands.upload import ASSET_TIMEOUT_S, ready_asset_id
from reelforge_cli.errors import UsageError
from reelforge_cli.output import JsonFlag, Session, session
from reelforge_cli.progress import job_bar
from reelforge_sdk import Job, job_failed

Source = Annotated[
    str, typer.Argument(metavar="FILE|ASSET_ID", help="A video file (uploaded first) or a ready asset's id.")
]


def follow(s: Session, job: Job) -> Job:
    """Show the job's progress until it ends; a failed job fails the command with its code."""
    with job_bar(s.out.stderr, job.id) as show:
        for state in s.client.watch_job(job.id):
            job = state
            show(state)
    if job.status != "succeeded":
        raise job_failed(job)
    return job


def pose(
    ctx: typer.Context,
    source: Source,
    sample_fps: Annotated[
        float | None, typer.Option("--fps", min=0.1, max=60, help="Frames per second analysed (default: 10).")
    ] = None,
    max_people: Annotated[
        int | None, typer.Option(min=1, max=10, help="People tracked per frame (default: 2).")
    ] = None,
    signals: Annotated[bool, typer.Option(help="Also print the main subject's signals (with --json).")] = False,
    json_output: JsonFlag = False,
) -> None:
    """Find the people in a video, following the job live, then print the analysis.

    With --json, prints the analysis object; with --signals too, {"analysis", "signals"}.
    """
    with session(ctx, json_output) as s:
        asset_id = ready_asset_id(s, source, timeout=ASSET_TIMEOUT_S)
        job = s.client.create_pose_analysis(asset_id, sample_fps=sample_fps, max_people=max_people)
        s.out.note(f"analysing the people in asset {asset_id} (job {job.id})")
        follow(s, job)
        analysis = s.client.get_pose_analysis(asset_id)
        if analysis.no_person:
            s.out.note(f"nobody was found in asset {asset_id}")
        data = analysis.raw
        if signals and s.out.json_mode:
            data = {"analysis": analysis.raw, "signals": s.client.get_pose_signals(asset_id).raw}
        s.out.result(data, lambda: render.pose_panel(analysis))


def compare(
    ctx: typer.Context,
    reference: Annotated[str, typer.Argument(metavar="REFERENCE", help="The movement to imitate: a file or asset id.")],
    attempt: Annotated[str, typer.Argument(metavar="ATTEMPT", help="The person's attempt: a file or asset id.")],
    alignment: Annotated[bool, typer.Option(help="Include the alignment path (with --json).")] = False,
    video: Annotated[
        bool, typer.Option("--video", help="Also make the side-by-side video and download it into --output.")
    ] = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Folder for the video (with --video).")] = None,
    resolution: Annotated[str, typer.Option(help="The video's height: 480p, 720p or 1080p.")] = "720p",
    video_format: Annotated[str, typer.Option("--format", help="The video's format: mp4 or webm.")] = "mp4",
    layout: Annotated[
        str, typer.Option(help="side_by_side, or interleaved (a second of each in turn).")
    ] = "side_by_side",
    json_output: JsonFlag = False,
) -> None:
    """Score an attempt against a reference movement (0 to 100, per segment, with feedback).

    With --video, also makes a video of the two side by side, time-aligned,
    skeletons drawn, the score and the weakest moment's feedback written, and
    downloads it into --output (comparison-<id>.<format>).

    With --json, prints the comparison object (with `video_file` after --video).
    """
    with session(ctx, json_output) as s:
        if video and output is None:
            raise UsageError("output_required", "--video needs --output DIR")
        reference_id = ready_asset_id(s, reference, timeout=ASSET_TIMEOUT_S)
        attempt_id = ready_asset_id(s, attempt, timeout=ASSET_TIMEOUT_S)
        job = s.client.create_comparison(reference_id, attempt_id)
        s.out.note(f"comparing asset {attempt_id} with asset {reference_id} (job {job.id})")
        job = follow(s, job)
        comparison = s.client.get_comparison(job.resource_id, alignment=alignment and s.out.json_mode)
        data = dict(comparison.raw)
        if video and output is not None:
            made = follow(
                s, s.client.create_comparison_video(comparison.id, resolution=resolution, format=video_format)
            )
            found = s.client.get_comparison_video(made.resource_id)
            assert found.video_url is not None
            output.mkdir(parents=True, exist_ok=True)
            target = output / f"comparison-{comparison.id}.{video_format}"
            data["video_file"] = s.client.download(found.video_url, target).name
            s.out.note(f"wrote {target}")
        s.out.result(data, lambda: render.comparison_panel(comparison))
