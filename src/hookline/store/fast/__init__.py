"""The fence: every use of another library's private names (SQLAlchemy's, aiosqlite's)
lives in this package, and only here (`tests/store/test_fence.py` and an import-linter
contract hold that line). Each piece has a stock path beside it that uses only their
public API, taken with `HOOKLINE_SQLITE_DRIVER=stock`:

- `one_trip`: one trip to a SQLite connection's thread per statement, or none at all
  inside write transactions and short reads (stock: SQLAlchemy's aiosqlite adapter);
- `bulk`: batched inserts and updates compiled once, without SQLAlchemy's per-row
  parameter work (stock: `conn.execute(stmt, rows)`).

What each buys, `python -m bench.sqlite_drivers` measures (CPU per operation, 2 shared
cores, December 2026): the transport halves a publish's (815 → 402 µs) and a short
read's (548 → 260 µs); the batches take a further 10-20 % off (a publish 402 → 364 µs,
100 rows in one transaction 1513 → 1218 µs). Each is kept for that.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.store.fast.one_trip import OneTripConnection, OneTripDBAPI

__all__ = ["OneTripConnection", "drives", "engine_options", "on_loop_capable"]


def engine_options() -> dict[str, Any]:
    """What `create_async_engine` takes, for a `sqlite+aiosqlite://` URL, to use the
    fast transport. Inline statements need the connection usable from the loop's
    thread (`check_same_thread=False`; the adapter's mutex keeps the two apart)."""
    return {
        "module": OneTripDBAPI(),
        "connect_args": {"timeout": 30, "check_same_thread": False},
    }


def drives(conn: AsyncConnection) -> bool:
    """True when this connection's engine uses the fast transport."""
    return isinstance(conn.dialect.dbapi, OneTripDBAPI)


async def on_loop_capable(conn: AsyncConnection) -> OneTripConnection | None:
    """The fast transport's connection under `conn`, which can run its statements on the
    event loop's thread (`inline`); None with the stock one."""
    adapted = (await conn.get_raw_connection()).dbapi_connection
    return adapted if isinstance(adapted, OneTripConnection) else None
