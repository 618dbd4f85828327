"""``reelforge jobs``: list, show and watch jobs."""

from __future__ import annotations

from typing import Annotated

import typer

from reelforge_cli import render
from reelforge_cli.output import JsonFlag, ResultFailedError, session
from reelforge_cli.progress import job_bar
from reelforge_sdk import Job, job_failed

app = typer.Typer(help="List, show and follow jobs.", no_args_is_help=True)

JobId = Annotated[str, typer.Argument(help="The job's id.", show_default=False)]


@app.command("list")
def list_jobs(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option(help="Only jobs with this status: queued, running, succeeded, failed.")
    ] = None,
    kind: Annotated[str | None, typer.Option(help="Only jobs of this kind, e.g. ingest.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, max=200, help="Page size (server default 50).")] = None,
    cursor: Annotated[str | None, typer.Option(help="Continue from a previous page's next_cursor.")] = None,
    all_pages: Annotated[bool, typer.Option("--all", help="Follow next_cursor to the last page.")] = False,
    json_output: JsonFlag = False,
) -> None:
    """The tenant's jobs, most recently updated first."""
    with session(ctx, json_output) as s:
        if all_pages:
            jobs = list(s.client.iter_jobs(status=status, kind=kind, page_size=limit))
            data = {"items": [j.raw for j in jobs], "next_cursor": None}
            s.out.result(data, lambda: render.jobs_table(jobs))
        else:
            page = s.client.list_jobs(status=status, kind=kind, limit=limit, cursor=cursor)
            s.out.result(page.raw, lambda: render.jobs_table(page.items, page.next_cursor))


@app.command("get")
def get_job(ctx: typer.Context, job_id: JobId, json_output: JsonFlag = False) -> None:
    """One job: kind, status, stage, progress."""
    with session(ctx, json_output) as s:
        job = s.client.get_job(job_id)
        s.out.result(job.raw, lambda: render.job_panel(job))


@app.command("watch")
def watch_job(ctx: typer.Context, job_id: JobId, json_output: JsonFlag = False) -> None:
    """Follow a job live until it ends: exit 0 when it succeeds, 1 when it fails.

    With --json, prints each state as one JSON object per line.
    """
    with session(ctx, json_output) as s:
        last: Job | None = None
        with job_bar(s.out.stderr, job_id) as show:
            for job in s.client.watch_job(job_id):
                last = job
                show(job)
                if s.out.json_mode:
                    s.out.record(job.raw)
        if last is None:
            return
        if not s.out.json_mode:
            s.out.stdout.print(render.job_panel(last))
        if last.status == "failed":
            raise ResultFailedError(job_failed(last))
