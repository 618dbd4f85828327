"""``reelforge admin``: operator commands (tenants), authenticated by the operator token."""

from __future__ import annotations

from typing import Annotated

import typer

from reelforge_cli import render
from reelforge_cli.errors import UsageError
from reelforge_cli.output import JsonFlag, session

app = typer.Typer(help="Operator commands; they need the operator token.", no_args_is_help=True)
tenant_app = typer.Typer(help="Create and list tenants.", no_args_is_help=True)
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
