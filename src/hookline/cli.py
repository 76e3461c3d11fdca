"""The `hookline` command: serve | api | worker | migrate | keys | generate-key."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, TypeVar

import typer
import uvicorn
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from hookline import __version__, logs
from hookline.app import ConfigurationError, Runtime
from hookline.domain.encryption import new_master_key
from hookline.domain.models import Principal, Role
from hookline.settings import Settings

app = typer.Typer(help="Hookline: self-hostable webhook delivery.", no_args_is_help=True)
keys_app = typer.Typer(help="Manage API keys directly in the database.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
console = Console(stderr=True)
T = TypeVar("T")

DatabaseOpt = Annotated[
    str | None, typer.Option("--database-url", help="Overrides HOOKLINE_DATABASE_URL")
]
HostOpt = Annotated[str | None, typer.Option(help="Overrides HOOKLINE_HOST (127.0.0.1)")]
PortOpt = Annotated[int | None, typer.Option(help="Overrides HOOKLINE_PORT (8780)")]
DevOpt = Annotated[
    bool,
    typer.Option(
        "--dev",
        help="Allow http:// and private addresses as endpoints (never in production)",
    ),
]

CLI_PRINCIPAL = Principal(key_id="cli", role=Role.ADMIN, tenant_id=None)


def _settings(**overrides: Any) -> Settings:
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except Exception as exc:  # pydantic's message names the setting
        console.print(f"[red]Bad setting:[/red] {exc}")
        raise typer.Exit(2) from exc


def _run(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    try:
        import uvloop

        return uvloop.run(main())
    except ImportError:
        return asyncio.run(main())


def _build(settings: Settings) -> Runtime:
    logs.configure(settings.log_level, settings.log_format)
    try:
        return Runtime.build(settings)
    except (ConfigurationError, ValueError) as exc:
        console.print(f"[red]Cannot start:[/red] {exc}")
        raise typer.Exit(2) from exc


def _announce(runtime: Runtime, *, role: str) -> None:
    s = runtime.settings
    base = s.public_url or f"http://{s.host}:{s.port}"
    if runtime.admin_key_created:
        console.print(
            Panel(
                f"[bold]{runtime.admin_key_created}[/bold]\n\n"
                "This admin key is shown once. Keep it safe: it is stored only as a hash.\n"
                "Set HOOKLINE_ADMIN_KEY to choose your own instead.",
                title="First start: your admin key",
                border_style="yellow",
            )
        )
    if s.allow_http or s.allow_private_targets:
        console.print(
            Panel(
                "http:// endpoints and private/loopback addresses are ALLOWED.\n"
                "This is for development only: never run production like this.",
                title="DEVELOPMENT MODE",
                border_style="red",
            )
        )
    console.print(f"Hookline {__version__} {role} on [bold]{base}[/bold]")
    console.print(f"API docs: {base}/docs   dashboard: {base}/ui   database: {_safe_url(s)}")


def _safe_url(settings: Settings) -> str:
    url = settings.database_url
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in creds else url
    return url


def _web(settings: Settings, *, with_worker: bool, role: str) -> None:
    runtime = _build(settings)

    async def main() -> None:
        await runtime.prepare(migrate_schema=with_worker or settings.is_sqlite)
        _announce(runtime, role=role)
        config = uvicorn.Config(
            runtime.web_app(with_worker=with_worker),
            host=settings.host,
            port=settings.port,
            log_config=None,
            access_log=False,
            lifespan="on",
            http="httptools",
            loop="none",
            timeout_graceful_shutdown=10,
            server_header=False,
        )
        await uvicorn.Server(config).serve()

    _run(main)


@app.command()
def serve(
    dev: DevOpt = False,
    host: HostOpt = None,
    port: PortOpt = None,
    database_url: DatabaseOpt = None,
) -> None:
    """API, dashboard and a worker in one process (the embedded default)."""
    extra: dict[str, Any] = {"allow_http": True, "allow_private_targets": True} if dev else {}
    settings = _settings(host=host, port=port, database_url=database_url, **extra)
    _web(settings, with_worker=True, role="serve (api + dashboard + worker)")


@app.command()
def api(
    dev: DevOpt = False,
    host: HostOpt = None,
    port: PortOpt = None,
    database_url: DatabaseOpt = None,
) -> None:
    """The API and dashboard alone; run `hookline worker` beside it."""
    extra: dict[str, Any] = {"allow_http": True, "allow_private_targets": True} if dev else {}
    settings = _settings(host=host, port=port, database_url=database_url, **extra)
    _web(settings, with_worker=False, role="api")


@app.command()
def worker(dev: DevOpt = False, database_url: DatabaseOpt = None) -> None:
    """A delivery worker alone. Stops gracefully on SIGTERM or Ctrl-C."""
    extra: dict[str, Any] = {"allow_http": True, "allow_private_targets": True} if dev else {}
    settings = _settings(database_url=database_url, **extra)
    runtime = _build(settings)

    async def main() -> None:
        await runtime.prepare(migrate_schema=settings.is_sqlite, bootstrap_admin=False)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, runtime.worker_stop.set)
        console.print(f"Hookline {__version__} worker on {_safe_url(settings)}")
        try:
            await runtime.run_worker()
        finally:
            await runtime.close()

    _run(main)


@app.command()
def migrate(database_url: DatabaseOpt = None) -> None:
    """Bring the database schema up to date."""
    runtime = _build(_settings(database_url=database_url))

    async def main() -> None:
        try:
            await runtime.prepare(bootstrap_admin=False)
        finally:
            await runtime.close()

    _run(main)
    console.print("Database schema is up to date.")


@app.command("generate-key")
def generate_key() -> None:
    """Print a new master key for HOOKLINE_SECRET_KEY."""
    typer.echo(new_master_key())


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
    from hookline.services import api_keys

    runtime = _build(_settings(database_url=database_url))

    async def main() -> str:
        try:
            await runtime.prepare(bootstrap_admin=False)
            created = await api_keys.create(
                runtime.ctx, CLI_PRINCIPAL, name=name, role=role, tenant=tenant
            )
            return created.secret
        finally:
            await runtime.close()

    typer.echo(_run(main))


@keys_app.command("list")
def keys_list(database_url: DatabaseOpt = None) -> None:
    """List keys (never the keys themselves)."""
    from hookline.services import api_keys

    runtime = _build(_settings(database_url=database_url))

    async def main() -> list[Any]:
        try:
            await runtime.prepare(bootstrap_admin=False)
            page = await api_keys.list_(runtime.ctx, CLI_PRINCIPAL, limit=500)
            return page.items
        finally:
            await runtime.close()

    table = Table("id", "name", "role", "tenant", "prefix", "created")
    for k in _run(main):
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
    from hookline.services import api_keys

    runtime = _build(_settings(database_url=database_url))

    async def main() -> None:
        try:
            await runtime.prepare(bootstrap_admin=False)
            await api_keys.revoke(runtime.ctx, CLI_PRINCIPAL, key_id)
        finally:
            await runtime.close()

    _run(main)
    console.print(f"Revoked {key_id}.")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
