"""The `hookline` command: serve | api | worker | migrate | keys | generate-key |
rotate-master-key."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Coroutine, Iterator
from datetime import datetime
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.panel import Panel
from rich.table import Column, Table

from hookline import (
    __version__,
    cli_errors,
    cli_flags,
    cli_listen,
    cli_openapi,
    cli_remote,
    gc_tuning,
    logs,
    telemetry,
    tracing,
)
from hookline.app import ConfigurationError, Runtime, WorkerFailed
from hookline.cli_flags import with_setting_flags
from hookline.domain.encryption import new_master_key
from hookline.domain.errors import StoreUnavailable
from hookline.domain.models import Principal, Role
from hookline.settings import Settings

if TYPE_CHECKING:  # only the web processes import the server
    import uvicorn

app = typer.Typer(help="Hookline: self-hostable webhook delivery.", no_args_is_help=True)
keys_app = typer.Typer(help="Manage API keys directly in the database.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
console = Console(stderr=True)
T = TypeVar("T")

DatabaseOpt = Annotated[
    str | None, typer.Option("--database-url", help="Overrides HOOKLINE_DATABASE_URL")
]
HostOpt = Annotated[str | None, typer.Option(help="Overrides HOOKLINE_HOST (127.0.0.1)")]
# Text, judged by Settings like the variable (and explained alike by cli_errors).
PortOpt = Annotated[
    str | None, typer.Option(help="Overrides HOOKLINE_PORT (8780)", metavar="INTEGER")
]
DevOpt = Annotated[
    bool,
    typer.Option(
        "--dev",
        help="Allow http:// and private addresses as endpoints (never in production)",
    ),
]

CLI_PRINCIPAL = Principal(key_id="cli", role=Role.ADMIN, tenant_id=None)


# The settings of the running command, for explaining its database's problems.
_current: list[Settings] = []


def _say(text: str) -> None:
    """A message on stderr, as written: no markup read into it, no wrapping."""
    typer.echo(f"hookline: {text}", err=True)


def _settings(**overrides: Any) -> Settings:
    """The settings: flags (`cli_flags`) over HOOKLINE_* variables over defaults. A bad
    one ends the command with a line per problem (exit 2)."""
    flags = {**cli_flags.given(), **{k: v for k, v in overrides.items() if v is not None}}
    try:
        settings = Settings(**flags)
    except ValidationError as exc:
        for line in cli_errors.setting_problems(exc, flags=flags):
            _say(line)
        raise typer.Exit(2) from None
    _current[:] = [settings]
    return settings


def _run(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a command's coroutine; configuration and database problems end it with a
    short message instead of a traceback."""
    try:
        import uvloop

        runner: Callable[[Coroutine[Any, Any, T]], T] = uvloop.run
    except ImportError:
        runner = asyncio.run
    try:
        return runner(main())
    except ConfigurationError as exc:
        _say(f"cannot start: {exc}")
        raise typer.Exit(2) from None
    except StoreUnavailable as exc:
        explained = _database_problem(exc)
        _say(explained or f"the database is unreachable: {exc}")
        raise typer.Exit(3) from None
    except Exception as exc:
        explained = _database_problem(exc)
        if explained is None:
            raise
        _say(explained)
        raise typer.Exit(2) from None


def _database_problem(exc: BaseException) -> str | None:
    return cli_errors.database_problem(exc, _current[0].database_url) if _current else None


def _build(settings: Settings) -> Runtime:
    logs.configure(settings.log_level, settings.log_format)
    try:
        tracing.configure()  # on when the standard OTEL_* variables ask for traces
        return Runtime.build(settings)
    except (ConfigurationError, ValueError) as exc:
        _say(f"cannot start: {exc}")
        raise typer.Exit(2) from None
    except OSError as exc:  # the SQLite file's folder cannot be made, say
        explained = _database_problem(exc)
        if explained is None:
            raise
        _say(explained)
        raise typer.Exit(2) from None


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
    import uvicorn  # only the web processes need the server

    from hookline.api.server_limits import BoundedHttpToolsProtocol

    runtime = _build(settings)

    async def main() -> None:
        try:
            await runtime.prepare(migrate_schema=with_worker or settings.is_sqlite)
        except ConfigurationError as exc:
            console.print(f"[red]Cannot start:[/red] {exc}")
            await runtime.close()
            raise typer.Exit(2) from exc
        _announce(runtime, role=role)
        web_app = runtime.served_app(with_worker=with_worker)
        gc_tuning.settle()
        config = uvicorn.Config(
            web_app,
            host=settings.host,
            port=settings.port,
            log_config=None,
            access_log=False,
            lifespan="on",
            http=BoundedHttpToolsProtocol,  # httptools with head size and time limits
            loop="none",
            timeout_graceful_shutdown=10,
            server_header=False,
        )
        server = uvicorn.Server(config)
        runtime.stop_server = lambda: setattr(server, "should_exit", True)
        with _stopped_gracefully_by_signals(server):
            await server.serve()
        if runtime.worker_failure is not None:
            console.print(f"[red]Stopped: the worker died:[/red] {runtime.worker_failure}")
            raise typer.Exit(1)

    _run(main)


@contextlib.contextmanager
def _stopped_gracefully_by_signals(server: uvicorn.Server) -> Iterator[None]:
    """While the server runs, SIGTERM and SIGINT are uvicorn's: they stop it gracefully.
    Once it has stopped, uvicorn raises them again for the handlers it found installed:
    these, which let a graceful stop exit 0 instead of dying by the signal. A signal
    before uvicorn takes over stops the server too."""

    def stop(_sig: int, _frame: FrameType | None) -> None:
        server.should_exit = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)


@app.command()
@with_setting_flags
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
@with_setting_flags
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
@with_setting_flags
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
        gc_tuning.settle()
        if settings.metrics_port:
            telemetry.serve_metrics(
                settings.metrics_port, settings.host, token=settings.metrics_token
            )
            console.print(f"metrics: http://{settings.host}:{settings.metrics_port}/metrics")
        try:
            await runtime.run_worker()
        except WorkerFailed as exc:
            console.print(f"[red]Stopped: {exc}[/red]")
            raise typer.Exit(1) from exc
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


@app.command("rotate-master-key")
def rotate_master_key(
    batch_size: Annotated[
        int, typer.Option(min=1, max=5000, help="Endpoints re-encrypted per transaction")
    ] = 200,
    database_url: DatabaseOpt = None,
) -> None:
    """Re-encrypt every endpoint secret and credential under HOOKLINE_SECRET_KEY.

    Give the old keys in HOOKLINE_PREVIOUS_SECRET_KEYS (comma-separated) for the run.
    """
    from hookline.services import master_key

    runtime = _build(_settings(database_url=database_url))

    async def main() -> master_key.RotationReport:
        try:
            await runtime.prepare(bootstrap_admin=False)
            return await master_key.rotate(runtime.ctx, batch_size=batch_size)
        finally:
            await runtime.close()

    report = _run(main)
    console.print(
        f"Re-encrypted {report.rewritten} values under master key {report.key_id} "
        f"({report.already_current} already were)."
    )
    if report.changed_meanwhile:
        console.print(
            f"{report.changed_meanwhile} values were changed through the API meanwhile and "
            "were left as written; run again once every process has the new key."
        )
    if not report.complete:
        missing = ", ".join(f"{kid} ({n} values)" for kid, n in sorted(report.unreadable.items()))
        console.print(
            f"[red]Not finished:[/red] no configured key opens values sealed with key ids "
            f"{missing}. Add those keys to HOOKLINE_PREVIOUS_SECRET_KEYS and run again."
        )
        raise typer.Exit(1)


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

    table = Table("name", "role", "tenant", "prefix", "created")
    table.columns.insert(0, Column("id", no_wrap=True, min_width=30))
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


@app.command()
def recover(
    tenant: Annotated[str, typer.Option(help="Tenant id or uid")],
    endpoint: Annotated[str, typer.Option(help="Endpoint id or uid")],
    since: Annotated[datetime, typer.Option(help="Deliveries created at or after (UTC)")],
    until: Annotated[
        datetime | None, typer.Option(help="...and before this time (default: now)")
    ] = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Send again every failed or expired delivery of one endpoint in a time window."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from hookline.domain.errors import HooklineError
    from hookline.services import recovery

    runtime = _build(_settings(database_url=database_url))
    with Progress(
        TextColumn("[bold]recovering[/bold]"), BarColumn(), MofNCompleteColumn(), console=console
    ) as bar:
        task = bar.add_task("recover", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        async def main() -> int:
            try:
                await runtime.prepare(migrate_schema=False, bootstrap_admin=False)
                return await recovery.recover(
                    runtime.ctx,
                    CLI_PRINCIPAL,
                    tenant=tenant,
                    endpoint=endpoint,
                    since=since,
                    until=until,
                    progress=progress,
                )
            finally:
                await runtime.close()

        try:
            count = _run(main)
        except HooklineError as exc:
            console.print(f"[red]{exc.detail}[/red]")
            raise typer.Exit(1) from exc
        bar.update(task, completed=count, total=max(count, 1))
    console.print(f"{count} deliveries queued again.")


cli_remote.register(app)  # send | endpoints list|test
cli_listen.register(app)  # listen
cli_openapi.register(app)  # openapi


def main() -> None:
    app()


if __name__ == "__main__":
    main()
