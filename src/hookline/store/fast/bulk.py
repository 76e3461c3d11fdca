"""One statement for many rows (`executemany`), without SQLAlchemy's per-row work on SQLite.

`conn.execute(stmt, rows)` builds, for every row, a dict of every bound parameter and
looks up each value's type processor by name before it reaches the driver. On SQLite,
where the worker's and the publishers' writes run on the event loop's thread, that took
about as long as SQLite inserting the row (`make bench`). Here a statement is compiled
once per set of keys, exactly as SQLAlchemy compiles it for `executemany`, and each row
becomes one tuple with the same processors applied by position; the SQL, the values that
reach SQLite and the errors are SQLAlchemy's. It reads the compiled statement's private
`_bind_processors`, hence its place in the fence; `store.bulk` calls it only for the
fast SQLite transport, and a statement it cannot prepare takes SQLAlchemy's own path.

Statements given here are built once (module constants): they key the cache.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase

Processor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class _Prepared:
    sql: str
    take: Callable[[Mapping[str, Any]], Any]  # the row's values, in the SQL's order
    single: bool  # one value from the row: `take` returns it bare, not in a tuple
    fixed: tuple[tuple[int, Any], ...]  # (position, value) set in the statement itself
    processors: tuple[tuple[int, Processor], ...]  # (position, type processor)


_cache: dict[tuple[int, str, tuple[str, ...]], tuple[UpdateBase, _Prepared | None]] = {}
CACHE_SIZE = (
    256  # a handful of module constants use it; a statement built per call would not grow it
)


async def execute_many(
    conn: AsyncConnection, stmt: UpdateBase, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Run `stmt` once per row (all rows with the same keys; at least one)."""
    prepared = (
        _prepared(stmt, tuple(rows[0]), conn.dialect) if conn.dialect.name == "sqlite" else None
    )
    if prepared is None:
        await conn.execute(stmt, list(rows))
        return
    params = [_row(prepared, row) for row in rows]
    await conn.exec_driver_sql(prepared.sql, params)


def _row(prepared: _Prepared, row: Mapping[str, Any]) -> tuple[Any, ...]:
    taken = prepared.take(row)
    values = [taken] if prepared.single else list(taken)
    for position, value in prepared.fixed:
        values.insert(position, value)
    for position, processor in prepared.processors:
        values[position] = processor(values[position])  # None too, as SQLAlchemy does
    return tuple(values)


def _prepared(stmt: UpdateBase, keys: tuple[str, ...], dialect: Dialect) -> _Prepared | None:
    cache_key = (id(stmt), dialect.name, keys)
    found = _cache.get(cache_key)
    if found is not None and found[0] is stmt:
        return found[1]
    prepared = _compile(stmt, keys, dialect)
    if len(_cache) >= CACHE_SIZE:
        _cache.clear()
    _cache[cache_key] = (stmt, prepared)
    return prepared


def _compile(stmt: UpdateBase, keys: tuple[str, ...], dialect: Dialect) -> _Prepared | None:
    """The statement as SQLAlchemy would send it for `executemany`, or None when it
    needs what only SQLAlchemy's own path does (defaults computed in Python, expanding
    or literal parameters, RETURNING, escaped names): those take that path."""
    compiled = stmt.compile(dialect=dialect, column_keys=list(keys), for_executemany=True)
    if not isinstance(compiled, SQLCompiler) or not compiled.positional:
        return None
    if (
        compiled.insert_prefetch
        or compiled.update_prefetch
        or compiled.literal_execute_params
        or compiled.post_compile_params
        or compiled.escaped_bind_names
        or compiled.implicit_returning
        or compiled.returning
        or compiled.positiontup is None
    ):
        return None
    bind_processors: Mapping[str, Processor] = compiled._bind_processors  # type: ignore[assignment]
    from_row: list[str] = []
    fixed: list[tuple[int, Any]] = []
    processors: list[tuple[int, Processor]] = []
    for position, name in enumerate(compiled.positiontup):
        bind = compiled.binds[name]
        if name in keys:
            from_row.append(name)
        elif bind.callable is None and not bind.required:
            fixed.append((position, bind.value))
        else:
            return None
        processor = bind_processors.get(name)
        if processor is not None:
            processors.append((position, processor))
    if not from_row:
        return None
    return _Prepared(
        sql=compiled.string,
        take=operator.itemgetter(*from_row),
        single=len(from_row) == 1,
        fixed=tuple(fixed),
        processors=tuple(processors),
    )
