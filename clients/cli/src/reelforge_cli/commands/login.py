"""``reelforge login``: store an API URL and key in a profile."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from reelforge_cli.errors import UsageError
from reelforge_cli.output import JsonFlag, session
from reelforge_cli.profiles import Profile, load_profiles, save_profile
from reelforge_sdk import DEFAULT_API_URL, Client, ReelforgeError


def login(
    ctx: typer.Context,
    api_url: Annotated[str | None, typer.Option(help="The API's base URL.")] = None,
    api_key: Annotated[
        str | None, typer.Option(help="An API key, rf_<id>_<secret> (prompted for when left out).")
    ] = None,
    profile: Annotated[str | None, typer.Option(help="The profile to write (default: 'default').")] = None,
    verify: Annotated[bool, typer.Option("--verify/--no-verify", help="Check the key against the API first.")] = True,
    json_output: JsonFlag = False,
) -> None:
    """Save an API URL and key as a profile (file mode 0600) for later commands."""
    with session(ctx, json_output) as s:
        state = s.state
        name = profile or state.profile_name
        path = state.config_path
        stored = load_profiles(path).get(name, Profile())
        url = (
            api_url or state.options.api_url or state.env.get("REELFORGE_API_URL") or stored.api_url or DEFAULT_API_URL
        ).rstrip("/")
        key = api_key or state.options.api_key or _prompt_for_key()
        if verify:
            _check_key(s.state.client_for(url, key))
        save_profile(path, name, Profile(api_url=url, api_key=key))
        result = {"profile": name, "api_url": url, "config_path": str(path)}
        s.out.result(result, lambda: f"saved profile [bold]{escape(name)}[/] ({escape(url)}) to {escape(str(path))}")


def _prompt_for_key() -> str:
    try:
        key: str = typer.prompt("API key", hide_input=True)
    except typer.Abort as exc:
        raise UsageError("missing_api_key", "pass --api-key (no key was typed)") from exc
    if not key.strip():
        raise UsageError("missing_api_key", "an empty API key")
    return key.strip()


def _check_key(client: Client) -> None:
    """One cheap authenticated call; a key without the read scope still passes."""
    with client:
        try:
            client.list_jobs(limit=1)
        except ReelforgeError as error:
            if error.code != "forbidden":
                raise
