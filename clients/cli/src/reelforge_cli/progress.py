"""Live progress on stderr: upload bytes, waiting spinners, job progress bars.

Shown only when stderr is a terminal, so logs and pipes stay clean.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from reelforge_sdk import Asset, Job
from reelforge_sdk.uploads import ProgressCallback


@contextmanager
def upload_bar(console: Console, label: str) -> Iterator[ProgressCallback]:
    """A bar with bytes sent, bytes/s and time left; yields the SDK's ``on_progress``."""
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_interactive,
    )
    task = bar.add_task(label, total=None)

    def on_progress(sent: int, total: int) -> None:
        bar.update(task, completed=sent, total=total)

    with bar:
        yield on_progress


@contextmanager
def asset_spinner(console: Console, asset_id: str) -> Iterator[Callable[[Asset], None]]:
    """A spinner saying what the asset is doing; yields ``wait_for_asset``'s ``on_update``."""
    status = console.status(f"asset {asset_id}: waiting", spinner="dots")
    if console.is_interactive:
        status.start()
    try:
        yield lambda asset: status.update(f"asset {asset_id}: {asset.status}")
    finally:
        status.stop()


@contextmanager
def job_bar(console: Console, job_id: str) -> Iterator[Callable[[Job], None]]:
    """A bar following a job's progress (0..1); yields the function to feed it states."""
    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_interactive,
    )
    task = bar.add_task(f"job {job_id}", total=1.0)

    def show(job: Job) -> None:
        bar.update(task, completed=job.progress, description=f"{job.kind} {job.status}: {job.stage}")

    with bar:
        yield show
