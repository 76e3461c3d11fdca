"""The database's clock, in SQL: the one clock every process compares times against.

Workers on several machines disagree about the time by seconds or minutes; leases, due
times, rate-limit slots and cut-offs written by one process and compared by another
therefore use the database's time, never a process's (DESIGN §3). A process's own
clock only measures durations (how long to sleep, how long an attempt took).

`db_now()` is an SQL expression: `now()` on PostgreSQL (the transaction's start: one
instant for everything a transaction does), and on SQLite the current time of the
machine the file lives on, which is the only machine that can open it, in the text
form `UTCDateTime` stores (`YYYY-MM-DD HH:MM:SS.ffffff`, so text order is time order).
`db_now_plus(seconds)` is that instant moved by a number of seconds (a bound value or
an SQL expression). `db_epoch()` is the same clock as Unix seconds, for the rate-limit
slots; on PostgreSQL it reads `clock_timestamp()`, the time the statement runs, since a
slot is slept towards from the moment it is reserved.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from hookline.store.types import UTCDateTime

# SQLite's 'now' has millisecond precision; three zeros make it the six-digit text form.
_SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f000', 'now'{shift})"


class _DbNow(FunctionElement[Any]):
    type = UTCDateTime()
    inherit_cache = True


class _DbNowPlus(FunctionElement[Any]):
    """`clauses`: one expression, the seconds to add (may be negative)."""

    type = UTCDateTime()
    inherit_cache = True


class _DbEpoch(FunctionElement[Any]):
    type = Float()
    inherit_cache = True


def db_now() -> ColumnElement[Any]:
    return _DbNow()


def db_now_plus(seconds: ColumnElement[Any] | float) -> ColumnElement[Any]:
    value = seconds if isinstance(seconds, ColumnElement) else literal(float(seconds), Float())
    return _DbNowPlus(value)


def db_epoch() -> ColumnElement[Any]:
    return _DbEpoch()


async def read_now(conn: AsyncConnection) -> datetime:
    """The database's now, for a process that must hand it back later (a cut-off)."""
    value: datetime = (await conn.execute(select(_DbNow()))).scalar_one()
    return value


@compiles(_DbNow, "postgresql")
def _now_pg(element: _DbNow, compiler: SQLCompiler, **kw: Any) -> str:
    return "now()"


@compiles(_DbNow, "sqlite")
def _now_sqlite(element: _DbNow, compiler: SQLCompiler, **kw: Any) -> str:
    return _SQLITE_NOW.format(shift="")


@compiles(_DbNowPlus, "postgresql")
def _now_plus_pg(element: _DbNowPlus, compiler: SQLCompiler, **kw: Any) -> str:
    (seconds,) = element.clauses
    return f"(now() + make_interval(secs => {compiler.process(seconds, **kw)}))"


@compiles(_DbNowPlus, "sqlite")
def _now_plus_sqlite(element: _DbNowPlus, compiler: SQLCompiler, **kw: Any) -> str:
    (seconds,) = element.clauses
    # A modifier such as '+12.5 seconds' (printf keeps the sign and the fraction).
    shift = f", printf('%+f seconds', {compiler.process(seconds, **kw)})"
    return _SQLITE_NOW.format(shift=shift)


@compiles(_DbEpoch, "postgresql")
def _epoch_pg(element: _DbEpoch, compiler: SQLCompiler, **kw: Any) -> str:
    return "extract(epoch from clock_timestamp())::float8"


@compiles(_DbEpoch, "sqlite")
def _epoch_sqlite(element: _DbEpoch, compiler: SQLCompiler, **kw: Any) -> str:
    # julianday('now') has millisecond precision, as 'now' does everywhere in SQLite.
    return "((julianday('now') - 2440587.5) * 86400.0)"
