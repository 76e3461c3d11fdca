"""What every `hookline` command that reads settings or the database shares: the
settings from flags and variables, the runtime built from them, and problems told in a
line instead of a traceback (exit 2 for a setting or URL, 3 for an unreachable database).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError

from hookline import cli_errors, cli_flags, logs, tracing
from hookline.app import ConfigurationError, Runtime
from hookline.domain.errors import StoreUnavailable
from hookline.domain.models import Principal, Role
from hookline.settings import Settings

T = TypeVar("T")

DatabaseOpt = Annotated[
    str | None, typer.Option("--database-url", help="Overrides HOOKLINE_DATABASE_URL")
]
CLI_PRINCIPAL = Principal(key_id="cli", role=Role.ADMIN, tenant_id=None)


# The settings of the running command, for explaining its database's problems.
_current: list[Settings] = []


def say(text: str) -> None:
    """A message on stderr, as written: no markup read into it, no wrapping."""
    typer.echo(f"hookline: {text}", err=True)


def settings_of(**overrides: Any) -> Settings:
    """The settings: flags (`cli_flags`) over HOOKLINE_* variables over defaults. A bad
    one ends the command with a line per problem (exit 2)."""
    flags = {**cli_flags.given(), **{k: v for k, v in overrides.items() if v is not None}}
    try:
        settings = Settings(**flags)
    except ValidationError as exc:
        for line in cli_errors.setting_problems(exc, flags=flags):
            say(line)
        raise typer.Exit(2) from None
    _current[:] = [settings]
    return settings


def run(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
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
        say(f"cannot start: {exc}")
        raise typer.Exit(2) from None
    except StoreUnavailable as exc:
        explained = database_problem(exc)
        say(explained or f"the database is unreachable: {exc}")
        raise typer.Exit(3) from None
    except Exception as exc:
        explained = database_problem(exc)
        if explained is None:
            raise
        say(explained)
        raise typer.Exit(2) from None


def database_problem(exc: BaseException) -> str | None:
    return cli_errors.database_problem(exc, _current[0].database_url) if _current else None


def build(settings: Settings) -> Runtime:
    logs.configure(settings.log_level, settings.log_format)
    try:
        tracing.configure()  # on when the standard OTEL_* variables ask for traces
        return Runtime.build(settings)
    except (ConfigurationError, ValueError) as exc:
        say(f"cannot start: {exc}")
        raise typer.Exit(2) from None
    except OSError as exc:  # the SQLite file's folder cannot be made, say
        explained = database_problem(exc)
        if explained is None:
            raise
        say(explained)
        raise typer.Exit(2) from None


def with_runtime(
    database_url: str | None,
    work: Callable[[Runtime], Awaitable[T]],
    *,
    migrate_schema: bool = True,
) -> T:
    """Build the runtime from the settings, bring it up (migrating the schema unless
    told not to; never creating the first admin key), run `work` on it, close it."""
    runtime = build(settings_of(database_url=database_url))

    async def main() -> T:
        try:
            await runtime.prepare(migrate_schema=migrate_schema, bootstrap_admin=False)
            return await work(runtime)
        finally:
            await runtime.close()

    return run(main)
