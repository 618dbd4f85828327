"""``reelforge email``: the tenant's job emails (sent when a job succeeds or fails)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from reelforge_cli import render
from reelforge_cli.output import JsonFlag, session


class EmailEvent(StrEnum):
    succeeded = "job.succeeded"
    failed = "job.failed"


def email(
    ctx: typer.Context,
    address: Annotated[str | None, typer.Option(help="Where job emails go.")] = None,
    enable: Annotated[bool | None, typer.Option("--on/--off", help="Turn job emails on or off.")] = None,
    event: Annotated[
        list[EmailEvent] | None, typer.Option("--event", help="job.succeeded and/or job.failed (default: both).")
    ] = None,
    kind: Annotated[list[str] | None, typer.Option("--kind", help="Only jobs of this kind; repeatable.")] = None,
    json_output: JsonFlag = False,
) -> None:
    """Show the tenant's job email settings, or change them with the options."""
    with session(ctx, json_output) as s:
        current = s.client.get_email_settings()
        if address is not None or enable is not None or event is not None or kind is not None:
            current = s.client.set_email_settings(
                current.address if address is None else address,
                enabled=current.enabled if enable is None else enable,
                event_types=current.event_types if event is None else [str(e) for e in event],
                job_kinds=current.job_kinds if kind is None else kind,
            )
        settings = current
        s.out.result(settings.raw, lambda: render.email_settings(settings))
