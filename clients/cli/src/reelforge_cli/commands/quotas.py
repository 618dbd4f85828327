"""``reelforge quotas``: the caller's own quotas and usage (needs the read scope)."""

from __future__ import annotations

import typer

from reelforge_cli import render
from reelforge_cli.output import JsonFlag, session


def quotas(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """Your tenant's quotas (its own, or the gateway's default), rate limit and usage this month."""
    with session(ctx, json_output) as s:
        report = s.client.get_quotas()
        s.out.result(report.raw, lambda: render.quota_report(report))
