"""``reelforge admin``: operator commands (tenants, quotas, AI budgets), authenticated by the operator token."""

from __future__ import annotations

from typing import Annotated

import typer

from reelforge_cli import generation_render, render
from reelforge_cli.errors import UsageError
from reelforge_cli.output import JsonFlag, session
from reelforge_sdk import QUOTA_NAMES

app = typer.Typer(help="Operator commands; they need the operator token.", no_args_is_help=True)
tenant_app = typer.Typer(help="Create and list tenants, and set their quotas and AI budgets.", no_args_is_help=True)
app.add_typer(tenant_app, name="tenant")

OperatorToken = Annotated[
    str | None,
    typer.Option(envvar="REELFORGE_OPERATOR_TOKEN", show_envvar=True, help="The gateway's operator token."),
]


def _required(token: str | None) -> str:
    if not token:
        raise UsageError("missing_operator_token", "pass --operator-token or set REELFORGE_OPERATOR_TOKEN")
    return token


@tenant_app.command("create")
def create_tenant(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The tenant's unique name.", show_default=False)],
    operator_token: OperatorToken = None,
    json_output: JsonFlag = False,
) -> None:
    """Create a tenant; prints its id and its first API key (all scopes), shown once."""
    with session(ctx, json_output) as s:
        token = _required(operator_token)
        with s.state.client(require_key=False) as client:
            created = client.create_tenant(name, token)
        s.out.result(created.raw, lambda: render.tenant_created(created))


@tenant_app.command("list")
def list_tenants(ctx: typer.Context, operator_token: OperatorToken = None, json_output: JsonFlag = False) -> None:
    """Every tenant."""
    with session(ctx, json_output) as s:
        token = _required(operator_token)
        with s.state.client(require_key=False) as client:
            tenants = client.list_tenants(token)
        s.out.result([t.raw for t in tenants], lambda: render.tenants_table(tenants))


@tenant_app.command("quotas")
def tenant_quotas(
    ctx: typer.Context,
    tenant_id: Annotated[str, typer.Argument(help="The tenant's id.", show_default=False)],
    max_upload_bytes: Annotated[int | None, typer.Option(help="Set the largest upload, in bytes.")] = None,
    max_media_duration_s: Annotated[
        float | None, typer.Option(help="Set the longest media per asset, in seconds.")
    ] = None,
    max_concurrent_jobs: Annotated[int | None, typer.Option(help="Set the jobs queued or running at once.")] = None,
    monthly_minutes: Annotated[int | None, typer.Option(help="Set the media minutes processed per UTC month.")] = None,
    rate_limit_per_s: Annotated[float | None, typer.Option(help="Set the sustained API requests a second.")] = None,
    rate_limit_burst: Annotated[
        int | None, typer.Option(help="Set the requests allowed at once after a quiet spell.")
    ] = None,
    reset: Annotated[
        list[str] | None,
        typer.Option(
            metavar="NAME",
            help=f"Return a quota to the gateway's default; repeat for several. One of: {', '.join(QUOTA_NAMES)}.",
        ),
    ] = None,
    operator_token: OperatorToken = None,
    json_output: JsonFlag = False,
) -> None:
    """A tenant's quotas and usage this month; with options, change those quotas first (the rest stay)."""
    with session(ctx, json_output) as s:
        changes = _quota_changes(
            {
                "max_upload_bytes": max_upload_bytes,
                "max_media_duration_s": max_media_duration_s,
                "max_concurrent_jobs": max_concurrent_jobs,
                "monthly_minutes": monthly_minutes,
                "rate_limit_per_s": rate_limit_per_s,
                "rate_limit_burst": rate_limit_burst,
            },
            reset or [],
        )
        token = _required(operator_token)
        with s.state.client(require_key=False) as client:
            if changes:
                report = client.set_tenant_quotas(tenant_id, token, **changes)
            else:
                report = client.tenant_quotas(tenant_id, token)
        s.out.result(report.raw, lambda: render.quota_report(report))


def _quota_changes(values: dict[str, float | None], reset: list[str]) -> dict[str, float | None]:
    """The merge patch the options ask for: the values given, and ``None`` for each quota to reset."""
    changes: dict[str, float | None] = {name: value for name, value in values.items() if value is not None}
    for given in reset:
        name = given.replace("-", "_")
        if name not in QUOTA_NAMES:
            raise UsageError("unknown_quota", f"--reset {given!r}: expected one of {', '.join(QUOTA_NAMES)}")
        if changes.get(name) is not None:
            option = "--" + name.replace("_", "-")
            raise UsageError(
                "conflicting_options", f"{option} and --reset {given}: set the quota or reset it, not both"
            )
        changes[name] = None
    return changes


@tenant_app.command("budget")
def tenant_budget(
    ctx: typer.Context,
    tenant_id: Annotated[str, typer.Argument(help="The tenant's id (t_...).", show_default=False)],
    usd: Annotated[float | None, typer.Option(min=0, help="Monthly AI budget in US dollars; 0 for unlimited.")] = None,
    default: Annotated[bool, typer.Option("--default", help="Back to the deployment's default budget.")] = False,
    operator_token: OperatorToken = None,
    json_output: JsonFlag = False,
) -> None:
    """Set a tenant's monthly budget for AI generations and completions."""
    with session(ctx, json_output) as s:
        if (usd is None) == (not default):
            raise UsageError("budget_needed", "give --usd AMOUNT or --default")
        token = _required(operator_token)
        with s.state.client(require_key=False) as client:
            spend = client.set_tenant_budget(tenant_id, None if default else usd, operator_token=token)
        s.out.result(spend.raw, lambda: generation_render.spend_panel(spend))
