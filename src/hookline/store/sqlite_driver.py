"""How SQLite's statements travel, and what both ways share.

`stock`: SQLAlchemy's own aiosqlite adapter as documented, every statement sent to the
connection's thread, batches through `conn.execute(stmt, rows)`. `fast` (the default):
the same SQL, transactions and errors with fewer trips and less per-row work, built on
SQLAlchemy's and aiosqlite's private parts, all of them in the fence `store.fast`.
`HOOKLINE_SQLITE_DRIVER` chooses; PostgreSQL is the same either way.
"""

from __future__ import annotations

from typing import Literal

SqliteDriver = Literal["fast", "stock"]
DEFAULT_SQLITE_DRIVER: SqliteDriver = "fast"

BUSY_TIMEOUT_MS = 30_000  # how long a write waits for another process's (PRAGMA busy_timeout)
BEGIN_IMMEDIATE = "BEGIN IMMEDIATE"
