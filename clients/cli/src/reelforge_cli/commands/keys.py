"""``reelforge keys``: the tenant's API keys (needs a key with the admin scope)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from reelforge_cli import render
from reelforge_cli.output import JsonFlag, session

app = typer.Typer(help="Create, list, revoke and rotate API keys (admin scope).", no_args_is_help=True)

KeyId = Annotated[str, typer.Argument(help="The key's id.", show_default=False)]


class Scope(StrEnum):
    read = "read"
    write = "write"
    admin = "admin"


@app.command("create")
def create_key(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="A name to recognise the key by.")] = "",
    scope: Annotated[
        list[Scope] | None, typer.Option(help="A scope to grant; repeat for several (default: read and write).")
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Create a key; its token is printed once."""
    with session(ctx, json_output) as s:
        scopes = [str(x) for x in scope] if scope else None
        key = s.client.create_api_key(name, scopes)
        s.out.result(key.raw, lambda: render.key_panel(key))


@app.command("list")
def list_keys(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """Every key of the tenant, revoked ones included (no secrets)."""
    with session(ctx, json_output) as s:
        keys = s.client.list_api_keys()
        s.out.result([k.raw for k in keys], lambda: render.keys_table(keys))


@app.command("revoke")
def revoke_key(ctx: typer.Context, key_id: KeyId, json_output: JsonFlag = False) -> None:
    """Revoke a key at once."""
    with session(ctx, json_output) as s:
        s.client.revoke_api_key(key_id)
        s.out.result({"id": key_id, "revoked": True}, lambda: f"revoked key {key_id}")


@app.command("rotate")
def rotate_key(ctx: typer.Context, key_id: KeyId, json_output: JsonFlag = False) -> None:
    """Replace a key by a new one with the same name and scopes; prints the new token once."""
    with session(ctx, json_output) as s:
        key = s.client.rotate_api_key(key_id)
        s.out.result(key.raw, lambda: render.key_panel(key))
