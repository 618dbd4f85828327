"""``reelforge assets``: list, show, delete, and get download links."""

from __future__ import annotations

from typing import Annotated

import typer

from reelforge_cli import render
from reelforge_cli.output import JsonFlag, session

app = typer.Typer(help="List, show and delete assets.", no_args_is_help=True)

AssetId = Annotated[str, typer.Argument(help="The asset's id.", show_default=False)]
STATUSES = "uploading, importing, processing, ready or failed"


@app.command("list")
def list_assets(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help=f"Only assets with this status: {STATUSES}.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Page size (the server's default when left out).")] = None,
    cursor: Annotated[str | None, typer.Option(help="Continue from a previous page's next_cursor.")] = None,
    all_pages: Annotated[bool, typer.Option("--all", help="Follow next_cursor to the last page.")] = False,
    json_output: JsonFlag = False,
) -> None:
    """The tenant's assets, newest first."""
    with session(ctx, json_output) as s:
        if all_pages:
            assets = list(s.client.iter_assets(status=status, page_size=limit))
            data = {"items": [a.raw for a in assets], "next_cursor": None}
            s.out.result(data, lambda: render.assets_table(assets))
        else:
            page = s.client.list_assets(status=status, limit=limit, cursor=cursor)
            s.out.result(page.raw, lambda: render.assets_table(page.items, page.next_cursor))


@app.command("get")
def get_asset(ctx: typer.Context, asset_id: AssetId, json_output: JsonFlag = False) -> None:
    """One asset: status, probed media, derivatives."""
    with session(ctx, json_output) as s:
        asset = s.client.get_asset(asset_id)
        s.out.result(asset.raw, lambda: render.asset_panel(asset))


@app.command("delete")
def delete_asset(ctx: typer.Context, asset_id: AssetId, json_output: JsonFlag = False) -> None:
    """Delete an asset and its media."""
    with session(ctx, json_output) as s:
        s.client.delete_asset(asset_id)
        s.out.result({"id": asset_id, "deleted": True}, lambda: f"deleted asset {asset_id}")


@app.command("download-url")
def download_url(ctx: typer.Context, asset_id: AssetId, json_output: JsonFlag = False) -> None:
    """A presigned URL to the original media (printed alone, for scripts)."""
    with session(ctx, json_output) as s:
        link = s.client.download_url(asset_id)
        if s.out.json_mode:
            s.out.result(link.raw, lambda: link.url)
        else:
            typer.echo(link.url)
            if link.expires_at:
                s.out.note(f"expires {link.expires_at.isoformat(timespec='seconds')}")
