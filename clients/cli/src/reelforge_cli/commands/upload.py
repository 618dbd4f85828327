"""``reelforge upload`` and ``reelforge import``: bring media in, then wait for it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reelforge_cli import render
from reelforge_cli.errors import UsageError
from reelforge_cli.output import JsonFlag, ResultFailedError, Session, session
from reelforge_cli.progress import asset_spinner, upload_bar
from reelforge_sdk import DEFAULT_MULTIPART_THRESHOLD, Asset, ReelforgeError, UploadInterruptedError, asset_failed

# As long as `reelforge upload` waits for an uploaded file to be processed.
ASSET_TIMEOUT_S = 3600.0

Wait = Annotated[bool, typer.Option("--wait/--no-wait", help="Wait until the asset is ready or failed.")]
WaitTimeout = Annotated[float, typer.Option("--timeout", min=1, help="Seconds to wait for the asset.")]


def upload(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The media file to upload.", show_default=False)],
    wait: Wait = True,
    multipart_threshold: Annotated[
        int, typer.Option(min=0, help="Files of at least this many bytes go up as presigned parts.")
    ] = DEFAULT_MULTIPART_THRESHOLD,
    resume: Annotated[
        str | None, typer.Option(metavar="ASSET_ID", help="Finish an interrupted multipart upload of FILE.")
    ] = None,
    timeout: WaitTimeout = 3600,
    json_output: JsonFlag = False,
) -> None:
    """Upload a media file with a progress bar, then wait for it to be processed."""
    with session(ctx, json_output) as s:
        if not file.is_file():
            raise UsageError("file_not_found", f"{file}: no such file")
        asset = send_file(s, file, multipart_threshold=multipart_threshold, resume=resume)
        _finish(s, asset, wait=wait, timeout=timeout)


def import_url(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="An http(s) URL the server fetches the media from.", show_default=False)],
    filename: Annotated[str | None, typer.Option(help="The asset's filename (default: from the URL).")] = None,
    wait: Wait = True,
    timeout: WaitTimeout = 3600,
    json_output: JsonFlag = False,
) -> None:
    """Have the server import media from a URL, then wait for it to be processed."""
    with session(ctx, json_output) as s:
        asset = s.client.import_url(url, filename)
        s.out.note(f"importing {url} as asset {asset.id}")
        _finish(s, asset, wait=wait, timeout=timeout)


def send_file(
    s: Session, file: Path, *, multipart_threshold: int = DEFAULT_MULTIPART_THRESHOLD, resume: str | None = None
) -> Asset:
    """Upload ``file`` with a progress bar; an interrupted multipart upload's error says how to resume it."""
    client = s.client
    try:
        with upload_bar(s.out.stderr, file.name) as on_progress:
            if resume:
                asset = client.resume_upload(resume, file, on_progress=on_progress)
            else:
                asset = client.upload(file, on_progress=on_progress, multipart_threshold=multipart_threshold)
    except UploadInterruptedError as exc:
        raise ReelforgeError(
            code=exc.code,
            title=exc.title,
            detail=f"{exc.detail}: reelforge upload {file} --resume {exc.asset_id}",
            status=exc.status,
        ) from exc
    s.out.note(f"uploaded {file.name} as asset {asset.id}")
    return asset


def settle(s: Session, asset: Asset, *, timeout: float) -> Asset:
    """The asset once ready or failed, with a spinner saying what it is doing meanwhile."""
    if asset.is_terminal:
        return asset
    with asset_spinner(s.out.stderr, asset.id) as on_update:
        return s.client.wait_for_asset(asset.id, timeout=timeout, on_update=on_update)


def _finish(s: Session, asset: Asset, *, wait: bool, timeout: float) -> None:
    """Wait if asked, print the asset, and fail (exit 1) when its processing failed."""
    if wait:
        asset = settle(s, asset, timeout=timeout)
    s.out.result(asset.raw, lambda: render.asset_panel(asset))
    if asset.status == "failed":
        raise ResultFailedError(asset_failed(asset))


def ready_asset_id(s: Session, source: str, *, timeout: float) -> str:
    """The asset to work on: an existing file is uploaded and waited for; anything else is an asset id."""
    path = Path(source)
    if not path.exists():
        return source
    if not path.is_file():
        raise UsageError("not_a_file", f"{source}: not a file")
    asset = settle(s, send_file(s, path), timeout=timeout)
    if asset.status == "failed":
        raise asset_failed(asset)
    return asset.id
