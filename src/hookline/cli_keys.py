"""`hookline keys create | list | revoke`: API keys managed directly in the database (for
the first key, or when the API is not reachable)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Column, Table

from hookline.app import Runtime
from hookline.cli_runtime import CLI_PRINCIPAL, DatabaseOpt, with_runtime
from hookline.domain.models import ApiKey, Role
from hookline.services import api_keys

keys_app = typer.Typer(help="Manage API keys directly in the database.", no_args_is_help=True)
console = Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add `keys` to the main `hookline` command."""
    app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="What the key is for")],
    role: Annotated[Role, typer.Option(help="admin, ci or runtime")] = Role.ADMIN,
    tenant: Annotated[
        str | None, typer.Option(help="Bind the key to this tenant (id or uid)")
    ] = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Create a key and print it (shown once)."""

    async def create(runtime: Runtime) -> str:
        created = await api_keys.create(
            runtime.ctx, CLI_PRINCIPAL, name=name, role=role, tenant=tenant
        )
        return created.secret

    typer.echo(with_runtime(database_url, create))


@keys_app.command("list")
def keys_list(database_url: DatabaseOpt = None) -> None:
    """List keys (never the keys themselves)."""

    async def listed(runtime: Runtime) -> list[ApiKey]:
        return (await api_keys.list_(runtime.ctx, CLI_PRINCIPAL, limit=500)).items

    table = Table("name", "role", "tenant", "prefix", "created")
    table.columns.insert(0, Column("id", no_wrap=True, min_width=30))
    for k in with_runtime(database_url, listed):
        table.add_row(
            k.id,
            k.name,
            k.role.value,
            k.tenant_id or "-",
            k.prefix,
            k.created_at.isoformat(),
        )
    Console().print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: str, database_url: DatabaseOpt = None) -> None:
    """Revoke a key by id; effective on its next request."""

    async def revoke(runtime: Runtime) -> None:
        await api_keys.revoke(runtime.ctx, CLI_PRINCIPAL, key_id)

    with_runtime(database_url, revoke)
    console.print(f"Revoked {key_id}.")
