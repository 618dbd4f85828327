"""``reelforge transcribe``: a media file's or an asset's speech as text, subtitles or JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from reelforge_cli.commands.upload import ASSET_TIMEOUT_S, ready_asset_id
from reelforge_cli.errors import UsageError
from reelforge_cli.output import JsonFlag, session
from reelforge_cli.progress import job_bar
from reelforge_sdk import TRANSCRIPT_FORMATS, ReelforgeError, job_failed

FORMATS = ", ".join(TRANSCRIPT_FORMATS)


def transcribe(
    ctx: typer.Context,
    source: Annotated[
        str,
        typer.Argument(
            metavar="FILE|ASSET_ID", help="A media file (uploaded first) or a ready asset's id.", show_default=False
        ),
    ],
    transcript_format: Annotated[str, typer.Option("--format", help=f"The transcript's format: {FORMATS}.")] = "txt",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the transcript to this file, not stdout.")
    ] = None,
    language: Annotated[
        str | None, typer.Option(help="The spoken language, ISO 639-1 (e.g. en); detected when left out.")
    ] = None,
    prompt: Annotated[str | None, typer.Option(help="Text that precedes the speech: spelling and style.")] = None,
    hotwords: Annotated[
        str | None, typer.Option(help='Words and names to favour, e.g. "clubs diamonds hearts spades".')
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Transcribe a media file or an asset, following the job live, then print the transcript.

    With --json, prints {"asset_id", "job_id", "format", "output"?, "transcript"}:
    the transcript as text, or as an object for --format json.
    """
    with session(ctx, json_output) as s:
        if transcript_format not in TRANSCRIPT_FORMATS:
            raise UsageError("unknown_format", f"--format {transcript_format!r}: expected one of {FORMATS}")
        asset_id = ready_asset_id(s, source, timeout=ASSET_TIMEOUT_S)
        job = s.client.create_transcription(asset_id, language=language, prompt=prompt, hotwords=hotwords)
        s.out.note(f"transcribing asset {asset_id} (job {job.id})")
        with job_bar(s.out.stderr, job.id) as show:
            for state in s.client.watch_job(job.id):
                job = state
                show(state)
        if job.status != "succeeded":
            raise job_failed(job)
        body = s.client.get_transcript(asset_id, transcript_format)
        result: dict[str, Any] = {"asset_id": asset_id, "job_id": job.id, "format": transcript_format}
        if output is not None:
            output.write_text(body, encoding="utf-8")
            result["output"] = str(output)
        if s.out.json_mode:
            result["transcript"] = _parsed(body) if transcript_format == "json" else body
            s.out.result(result, lambda: body)
        elif output is not None:
            s.out.note(f"wrote the {transcript_format} transcript of asset {asset_id} to {output}")
        elif body:
            typer.echo(body, nl=not body.endswith("\n"))
        else:
            s.out.note(f"the transcript of asset {asset_id} is empty: no speech was found")


def _parsed(body: str) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise ReelforgeError(
            code="invalid_response", title="The API answered something the CLI cannot read", detail=str(exc)
        ) from exc
