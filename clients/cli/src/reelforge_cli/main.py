"""The ``reelforge`` command line: one typer app, one module per command group."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated

import httpx
import typer

from reelforge_cli.commands import (
    admin,
    assets,
    clip,
    email,
    frames,
    generate,
    jobs,
    keys,
    login,
    mix,
    pose,
    project,
    quotas,
    session,
    transcribe,
    upload,
    webhooks,
)
from reelforge_cli.context import AppState, GlobalOptions
from reelforge_sdk import RetryPolicy


def create_app(
    *,
    transport: httpx.BaseTransport | None = None,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> typer.Typer:
    """The CLI. Tests pass a ``transport`` to answer its HTTP requests, and fast ``retry`` and ``sleep``."""
    cli = typer.Typer(
        name="reelforge",
        help="Upload media to Reelforge, cut it into clips, transcribe it, analyse and compare movement, "
        "generate videos with AI providers, "
        "follow its jobs, receive them as signed webhooks, "
        "and administer tenants, keys and quotas.",
        no_args_is_help=True,
        pretty_exceptions_show_locals=False,
    )

    @cli.callback()
    def root(
        ctx: typer.Context,
        api_url: Annotated[str | None, typer.Option(help="The API's base URL (env REELFORGE_API_URL).")] = None,
        api_key: Annotated[str | None, typer.Option(help="An API key (env REELFORGE_API_KEY).")] = None,
        profile: Annotated[
            str | None, typer.Option(help="A profile saved by `reelforge login` (env REELFORGE_PROFILE).")
        ] = None,
    ) -> None:
        options = GlobalOptions(api_url=api_url, api_key=api_key, profile=profile)
        ctx.obj = AppState(options, transport=transport, retry=retry, sleep=sleep)

    cli.command("login")(login.login)
    cli.command("upload")(upload.upload)
    cli.command("import")(upload.import_url)
    cli.command("transcribe")(transcribe.transcribe)
    cli.command("pose")(pose.pose)
    cli.command("compare")(pose.compare)
    cli.command("clip")(clip.clip)
    cli.command("frames")(frames.frames)
    cli.command("export")(project.export)
    cli.command("mix")(mix.mix)
    cli.command("generate")(generate.generate)
    cli.command("providers")(generate.providers)
    cli.command("spend")(generate.spend)
    cli.command("quotas")(quotas.quotas)
    cli.command("email")(email.email)
    cli.add_typer(assets.app, name="assets")
    cli.add_typer(project.app, name="project")
    cli.add_typer(project.exports, name="exports")
    cli.add_typer(session.app, name="session")
    cli.add_typer(jobs.app, name="jobs")
    cli.add_typer(keys.app, name="keys")
    cli.add_typer(webhooks.app, name="webhooks")
    cli.add_typer(generate.generations, name="generations")
    cli.add_typer(generate.characters, name="characters")
    cli.add_typer(admin.app, name="admin")
    return cli


app = create_app()
