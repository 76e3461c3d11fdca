"""One statement for many rows (`executemany`): the store's batched writes (messages,
deliveries, attempts, results) go through here.

With the fast SQLite transport, the fence's `store.fast.bulk` compiles the statement
once and skips SQLAlchemy's per-row parameter work; otherwise (PostgreSQL, or
`HOOKLINE_SQLITE_DRIVER=stock`) it is SQLAlchemy's own `conn.execute(stmt, rows)`.
The rows written and the errors raised are the same either way (`tests/store/test_bulk.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import UpdateBase

from hookline.store import fast
from hookline.store.fast import bulk as fast_bulk


async def execute_many(
    conn: AsyncConnection, stmt: UpdateBase, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Run `stmt` once per row (all rows with the same keys). Statements given here are
    built once (module constants): the fast path keys its cache on them."""
    if not rows:
        return
    if fast.drives(conn):
        await fast_bulk.execute_many(conn, stmt, rows)
    else:
        await conn.execute(stmt, list(rows))
