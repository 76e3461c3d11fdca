"""SQLAlchemy's aiosqlite adapter, with one trip to the connection's thread per statement.

aiosqlite runs each SQLite connection in a thread of its own and SQLAlchemy's adapter
sends every cursor operation there separately: open a cursor, execute, fetch, close —
four round trips between the event loop and that thread for one statement, each a
thread wake-up (about 0.1 ms when idle, more under load). Here a statement goes over
once: the thread opens the cursor, executes, fetches every row and closes it, and the
loop gets the rows, the description, the row count and the last row id back together.
The SQL, the transactions and the errors are SQLAlchemy's own; only the transport
changes. Server-side (streaming) cursors keep the stock behaviour.

A connection can also be switched to run its statements *inline*, on the event loop's
own thread, with no trip at all: `Database.write()` does once it holds the write lock,
and so do the worker's short reads. `BEGIN IMMEDIATE` itself is first tried inline
without waiting; only when another process holds the lock does it go to the thread to
wait there (up to `BUSY_TIMEOUT_MS`). A trip under load is not just a thread wake-up:
the connection's thread needs the GIL back from a busy loop, which takes up to the
interpreter's switch interval (5 ms) at each step.
A trip costs more than the small indexed statements of the delivery path; but an
inline statement holds up the whole loop while it runs, so the long reads (lists,
the dashboard's statistics) keep going to the thread, where SQLite releases the GIL.

It leans on aiosqlite's `Connection._execute` (run a function in the connection's
thread), the same private entry point SQLAlchemy's adapter already uses for its own
isolation-level setter, and on the insides of SQLAlchemy's adapter classes; inline use
needs the connection opened with `check_same_thread=False` (the two never overlap: the
adapter's mutex orders them). Hence its place in the fence (`store.fast`).
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Callable, Sequence
from threading import Thread
from typing import Any, cast

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

from hookline.store.sqlite_driver import BEGIN_IMMEDIATE, BUSY_TIMEOUT_MS

Description = tuple[tuple[Any, ...], ...] | None
Outcome = tuple[Description, list[Any], int, int | None]
Statement = Callable[[sqlite3.Connection, str, Any], Outcome]


def _run(conn: sqlite3.Connection, operation: str, parameters: Any) -> Outcome:
    """In the connection's thread: the whole statement, cursor opened and closed."""
    cursor = conn.cursor()
    try:
        if parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _begin_without_waiting(conn: sqlite3.Connection) -> bool:
    """On the calling thread: BEGIN IMMEDIATE if no other connection holds the write
    lock (True), or nothing at all (False)."""
    conn.execute("PRAGMA busy_timeout=0")
    try:
        conn.execute(BEGIN_IMMEDIATE)
    except sqlite3.OperationalError as error:
        if error.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return False
        raise
    finally:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return True


def _run_many(conn: sqlite3.Connection, operation: str, seq: Sequence[Any]) -> Outcome:
    cursor = conn.cursor()
    try:
        cursor.executemany(operation, seq)
        return cursor.description, [], cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor whose statements each cost one trip to the connection's thread."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:  # no trip: nothing to open yet
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]  # nothing is opened in the thread
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Description = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        if operation == BEGIN_IMMEDIATE and parameters in (None, ()):
            await self._begin_immediate()
        else:
            await self._send(_run, operation, parameters)

    async def _begin_immediate(self) -> None:
        """Take the write lock here if it is free; wait for it in the thread if not."""
        async with self._adapt_connection._execute_mutex:
            if _begin_without_waiting(self._connection._conn):
                self._description, self._rowcount, self._lastrowid = None, -1, None
                self._rows = collections.deque()
                return
        await self._send(_run, BEGIN_IMMEDIATE, None)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        await self._send(_run_many, operation, seq_of_parameters)

    async def _send(self, statement: Statement, operation: str, arg: Any) -> None:
        """Run the statement here (inline) or in the connection's thread; keep its outcome."""
        async with self._adapt_connection._execute_mutex:
            conn = self._connection._conn
            if cast("OneTripConnection", self._adapt_connection).inline:
                outcome = statement(conn, operation, arg)
            else:
                outcome = await self._connection._execute(statement, conn, operation, arg)
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)

    async def _async_soft_close(self) -> None:
        return None  # nothing open in the thread

    def close(self) -> None:
        self._rows.clear()


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("inline",)
    _cursor_cls = OneTripCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.inline = False  # True: statements run on the calling thread (the loop's)

    def commit(self) -> None:
        if self.inline:
            self._end_inline(sqlite3.Connection.commit)
        else:
            super().commit()

    def rollback(self) -> None:
        if self.inline:
            self._end_inline(sqlite3.Connection.rollback)
        else:
            super().rollback()

    def _end_inline(self, end: Callable[[sqlite3.Connection], None]) -> None:
        try:
            end(self._connection._conn)
        except Exception as error:
            self._handle_exception(error)


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """Pass as `module=` to `create_async_engine` with a `sqlite+aiosqlite://` URL."""

    def __init__(self) -> None:
        super().__init__(aiosqlite, sqlite3)

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        connection = self.aiosqlite.connect(*arg, **kw)
        if isinstance(connection, Thread):  # aiosqlite before 0.22 was the thread itself
            connection.daemon = True
        else:
            connection._thread.daemon = True
        return OneTripConnection(self, await_(connection))
