"""The `hookline` command: serve | api | worker (the processes), migrate | generate-key |
rotate-master-key | recover; `keys` is in `cli_keys`, listen | send | endpoints | openapi
in `cli_listen`, `cli_remote` and `cli_openapi`, and what they share in `cli_runtime`."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator
from datetime import datetime
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.panel import Panel

from hookline import (
    __version__,
    cli_keys,
    cli_listen,
    cli_openapi,
    cli_remote,
    gc_tuning,
    telemetry,
)
from hookline.app import ConfigurationError, Runtime, WorkerFailed
from hookline.cli_flags import with_setting_flags
from hookline.cli_runtime import (
    CLI_PRINCIPAL,
    DatabaseOpt,
    build,
    run,
    settings_of,
    with_runtime,
)
from hookline.domain.encryption import new_master_key
from hookline.settings import Settings

if TYPE_CHECKING:  # only the web processes import the server
    import uvicorn

app = typer.Typer(help="Hookline: self-hostable webhook delivery.", no_args_is_help=True)
console = Console(stderr=True)
T = TypeVar("T")

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

    runtime = build(settings)

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

    run(main)


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
    settings = settings_of(host=host, port=port, database_url=database_url, **extra)
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
    settings = settings_of(host=host, port=port, database_url=database_url, **extra)
    _web(settings, with_worker=False, role="api")


@app.command()
@with_setting_flags
def worker(dev: DevOpt = False, database_url: DatabaseOpt = None) -> None:
    """A delivery worker alone. Stops gracefully on SIGTERM or Ctrl-C."""
    extra: dict[str, Any] = {"allow_http": True, "allow_private_targets": True} if dev else {}
    settings = settings_of(database_url=database_url, **extra)
    runtime = build(settings)

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

    run(main)


@app.command()
def migrate(database_url: DatabaseOpt = None) -> None:
    """Bring the database schema up to date."""

    async def nothing(_: Runtime) -> None:
        return None  # bringing the runtime up migrated it

    with_runtime(database_url, nothing)
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

    async def rotate(runtime: Runtime) -> master_key.RotationReport:
        return await master_key.rotate(runtime.ctx, batch_size=batch_size)

    report = with_runtime(database_url, rotate)
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

    with Progress(
        TextColumn("[bold]recovering[/bold]"), BarColumn(), MofNCompleteColumn(), console=console
    ) as bar:
        task = bar.add_task("recover", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        async def queue_again(runtime: Runtime) -> int:
            return await recovery.recover(
                runtime.ctx,
                CLI_PRINCIPAL,
                tenant=tenant,
                endpoint=endpoint,
                since=since,
                until=until,
                progress=progress,
            )

        try:
            count = with_runtime(database_url, queue_again, migrate_schema=False)
        except HooklineError as exc:
            console.print(f"[red]{exc.detail}[/red]")
            raise typer.Exit(1) from exc
        bar.update(task, completed=count, total=max(count, 1))
    console.print(f"{count} deliveries queued again.")


cli_keys.register(app)  # keys create|list|revoke
cli_remote.register(app)  # send | endpoints list|test
cli_listen.register(app)  # listen
cli_openapi.register(app)  # openapi


def main() -> None:
    app()


if __name__ == "__main__":
    main()
