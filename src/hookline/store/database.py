"""Engine and transactions for SQLite (embedded) and PostgreSQL (production).

`Database.read()` opens a plain transaction; `Database.write()` opens one that is
allowed to write. On SQLite a write transaction starts with `BEGIN IMMEDIATE` and
writers inside one process queue on a lock, so a transaction never has to upgrade its
read lock (which SQLite refuses with "database is locked" instead of waiting).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from hookline.domain.errors import StoreUnavailable
from hookline.store import fast
from hookline.store.checkpoints import SIZE_LIMIT as CHECKPOINT_SIZE_LIMIT
from hookline.store.checkpoints import Checkpointer
from hookline.store.database_url import async_url, sqlite_path
from hookline.store.sqlite_driver import (
    BEGIN_IMMEDIATE,
    BUSY_TIMEOUT_MS,
    DEFAULT_SQLITE_DRIVER,
    SqliteDriver,
)

log = logging.getLogger(__name__)

# Callbacks per open write transaction, by its connection object (not in `conn.info`:
# reading that from a connection the database dropped raises instead of answering).
_after: dict[int, list[Callable[[bool], None]]] = {}


def after_transaction(conn: AsyncConnection, callback: Callable[[bool], None]) -> None:
    """Inside `Database.write()`: call `callback(True)` once this transaction has
    committed, or `callback(False)` if it rolled back. It runs before the next write
    transaction of this process on SQLite begins; it must be quick and not raise."""
    _after.setdefault(id(conn), []).append(callback)


def _settle(conn: AsyncConnection, committed: bool) -> None:
    for callback in _after.pop(id(conn), ()):
        try:
            callback(committed)
        except Exception:  # one hook's bug must not turn a commit into an error
            log.exception("after-transaction hook failed")


def _json_text(value: Any) -> str:
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:  # what orjson does not take (integers past 64 bits): the stdlib does
        return json.dumps(value)


def is_outage(exc: BaseException) -> bool:
    """True for errors that mean the database cannot be reached (not a bad query)."""
    return _is_outage(exc)


def _is_outage(exc: BaseException) -> bool:
    if isinstance(exc, (ConnectionError, OSError, asyncio.TimeoutError)):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, (InterfaceError, OperationalError)):
        text = str(exc).lower()
        return any(
            s in text
            for s in (
                "connect",
                "connection",
                "closed",
                "terminat",
                "shutdown",
                "refused",
            )
        )
    return False


class Database:
    """`background_checkpoints` (SQLite files): the write-ahead log is copied into the
    database by a thread (`store.checkpoints`), started with the first write, instead of
    by whichever commit fills it; for the long-running processes. `sqlite_driver`: how
    SQLite's statements travel (`store.sqlite_driver`)."""

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        background_checkpoints: bool = False,
        sqlite_driver: SqliteDriver = DEFAULT_SQLITE_DRIVER,
    ) -> None:
        self.url = async_url(url)
        self.dialect = "sqlite" if self.url.startswith("sqlite") else "postgresql"
        # JSON columns (attempt headers, metadata) through orjson: several times quicker
        # than the standard library, and the same JSON.
        kwargs: dict[str, Any] = {
            "echo": echo,
            "json_serializer": _json_text,
            "json_deserializer": orjson.loads,
        }
        if self.dialect == "sqlite":
            path = sqlite_path(url)
            if path is not None:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            # Every connection is a thread of its own (aiosqlite): keep enough of them
            # open that a burst of requests does not open and close connections.
            kwargs.update(
                pool_size=16,
                max_overflow=16,
                connect_args={"timeout": 30},
                # Every transaction here ends in COMMIT or ROLLBACK before the connection
                # goes back, so the pool's own ROLLBACK on return would be a wasted trip.
                pool_reset_on_return=None,
            )
            if sqlite_driver == "fast":
                kwargs.update(fast.engine_options())
        else:
            # No pre-ping (a round trip per checkout): a connection found dead makes
            # SQLAlchemy invalidate the whole pool, so after an outage the pool is renewed
            # on first use; that request answers 503 and the next ones are served.
            kwargs.update(pool_size=10, max_overflow=20, pool_recycle=1800)
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        self._write_lock = asyncio.Lock() if self.dialect == "sqlite" else None
        self._on_loop = self.dialect == "sqlite" and sqlite_driver == "fast"
        self.checkpointer: Checkpointer | None = None
        if self.dialect == "sqlite":
            path = sqlite_path(url)
            if background_checkpoints and path is not None:
                self.checkpointer = Checkpointer(str(path), write_lock=self._write_lock)
            _configure_sqlite(self.engine, auto_checkpoint=self.checkpointer is None)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def read(self, *, short: bool = False) -> AsyncIterator[AsyncConnection]:
        """Statements that only read. On SQLite they share one snapshot (a deferred
        transaction). On PostgreSQL they run in autocommit: under READ COMMITTED each
        statement sees its own snapshot anyway, and BEGIN/COMMIT would only add two
        round trips.

        `short`: a few indexed look-ups on the delivery path. With the fast SQLite
        transport they run on the event loop's thread (see `store.fast.one_trip`), which
        is quicker than a trip to the connection's thread; anything that may scan stays
        off the loop."""
        try:
            async with self.engine.connect() as conn:
                if self._write_lock is None:
                    conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                    yield conn
                    return
                adapted = await fast.on_loop_capable(conn) if short and self._on_loop else None
                _run_inline(adapted, True)
                try:
                    async with conn.begin():
                        yield conn
                finally:
                    _run_inline(adapted, False)
        except Exception as exc:
            if _is_outage(exc):
                raise StoreUnavailable(str(exc)) from exc
            raise

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction. On SQLite it starts with `BEGIN IMMEDIATE`, behind this
        process's write lock. With the fast transport that BEGIN takes the database's
        lock on the event loop's thread when it is free, and goes to the connection's
        thread to wait when another process holds it; the statements and the COMMIT
        then run on the loop's thread: with the write lock held they wait for nobody,
        and batches are bounded."""
        try:
            if self._write_lock is None:
                async with self.engine.connect() as conn:
                    committed = False
                    try:
                        async with conn.begin():
                            yield conn
                        committed = True
                    finally:
                        _settle(conn, committed)
                return
            if self.checkpointer is not None:
                self.checkpointer.start()
            async with self._write_lock, self.engine.connect() as conn:
                conn = await conn.execution_options(hookline_immediate=True)
                adapted = await fast.on_loop_capable(conn) if self._on_loop else None
                committed = False
                try:
                    async with conn.begin():  # BEGIN IMMEDIATE (see _on_begin)
                        _run_inline(adapted, True)
                        yield conn
                    committed = True
                finally:  # (the COMMIT or ROLLBACK ran on the loop)
                    _run_inline(adapted, False)
                    _settle(conn, committed)  # still holding the write lock
        except Exception as exc:
            if _is_outage(exc):
                raise StoreUnavailable(str(exc)) from exc
            raise

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.exec_driver_sql("SELECT 1")
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        if self.checkpointer is not None:
            await self.checkpointer.stop()
        await self.engine.dispose()


def _run_inline(adapted: fast.OneTripConnection | None, inline: bool) -> None:
    """From now on, run this SQLite connection's statements on the loop's thread (or not)."""
    if adapted is not None:
        adapted.inline = inline


def _configure_sqlite(engine: AsyncEngine, *, auto_checkpoint: bool) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from the driver: we emit BEGIN ourselves.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if not auto_checkpoint:
            cursor.execute("PRAGMA wal_autocheckpoint=0")
            cursor.execute(f"PRAGMA journal_size_limit={CHECKPOINT_SIZE_LIMIT}")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("hookline_immediate", False)
        conn.exec_driver_sql(BEGIN_IMMEDIATE if immediate else "BEGIN")
