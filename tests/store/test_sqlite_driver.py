"""The SQLite transports (`store.sqlite_driver`). Fast (`store.fast.one_trip`):
statements go to the connection's thread once each, or run on the loop inside write
transactions and short reads. Stock: SQLAlchemy's adapter, every statement in the
connection's thread. The results, errors and transactions are the same every way; the
setting chooses."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

import aiosqlite
import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError

from hookline.app import Runtime
from hookline.store.database import Database
from hookline.store.sqlite_driver import BUSY_TIMEOUT_MS, SqliteDriver
from support.databases import sqlite_url
from support.harness import settings_for


@pytest.fixture
def fast_only(sqlite_driver: SqliteDriver) -> None:
    """What the fast transport alone does (the stock run of tests/store skips it)."""
    if sqlite_driver != "fast":
        pytest.skip("the fast transport's own behaviour")


@pytest.fixture
async def db(tmp_path, sqlite_driver):
    database = Database(sqlite_url(tmp_path), sqlite_driver=sqlite_driver)
    async with database.write() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"))
    yield database
    await database.dispose()


def _thread_probe(database: Database) -> list[int]:
    """A SQL function that records which thread ran the statement calling it."""
    seen: list[int] = []

    @event.listens_for(database.engine.sync_engine, "connect")
    def _register(dbapi_conn, _record):
        dbapi_conn.create_function("probe", 0, lambda: seen.append(threading.get_ident()) or 1)

    return seen


async def _threads_of_write_short_read_and_read(database: Database) -> list[int]:
    """The thread a statement ran in, in a write, a short read and a read."""
    seen = _thread_probe(database)
    try:
        async with database.write() as conn:
            await conn.execute(text("SELECT probe()"))
        async with database.read(short=True) as conn:
            await conn.execute(text("SELECT probe()"))
        async with database.read() as conn:
            await conn.execute(text("SELECT probe()"))
    finally:
        await database.dispose()
    return seen


async def test_writes_and_short_reads_run_on_the_loop_long_reads_in_the_thread(tmp_path, fast_only):
    database = Database(sqlite_url(tmp_path), sqlite_driver="fast")
    seen = await _threads_of_write_short_read_and_read(database)
    loop_thread = threading.get_ident()
    assert seen[0] == loop_thread
    assert seen[1] == loop_thread
    assert seen[2] != loop_thread


async def test_the_stock_transport_runs_every_statement_in_the_connections_thread(tmp_path):
    database = Database(sqlite_url(tmp_path), sqlite_driver="stock")
    seen = await _threads_of_write_short_read_and_read(database)
    loop_thread = threading.get_ident()
    assert len(seen) == 3
    assert loop_thread not in seen


@pytest.mark.parametrize("driver", ["fast", "stock"])
async def test_the_setting_chooses_the_transport_of_the_runtimes_store(tmp_path, driver):
    """HOOKLINE_SQLITE_DRIVER reaches the store through the composition root."""
    runtime = Runtime.build(settings_for(sqlite_url(tmp_path), sqlite_driver=driver))
    seen = _thread_probe(runtime.db)
    try:
        async with runtime.db.write() as conn:
            await conn.execute(text("SELECT probe()"))
    finally:
        await runtime.close()
    assert (seen == [threading.get_ident()]) is (driver == "fast")


@pytest.mark.parametrize("short", [True, False])
async def test_results_row_counts_and_many_rows_come_back_whole(db, short):
    async with db.write() as conn:
        result = await conn.execute(
            text("INSERT INTO t (name) VALUES (:n)"), [{"n": f"n{i}"} for i in range(250)]
        )
        assert result.rowcount == 250
        updated = await conn.execute(text("UPDATE t SET name = name || '!' WHERE id <= 10"))
        assert updated.rowcount == 10
    async with db.read(short=short) as conn:
        rows = (await conn.execute(text("SELECT id, name FROM t ORDER BY id"))).all()
    assert len(rows) == 250
    assert rows[0] == (1, "n0!")
    assert rows[-1] == (250, "n249")


@pytest.mark.parametrize("short", [True, False])
async def test_errors_are_sqlalchemys_and_a_failed_write_leaves_nothing(db, short):
    async with db.write() as conn:
        await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))

    async def b_then_a_again() -> None:
        async with db.write() as conn:
            await conn.execute(text("INSERT INTO t (name) VALUES ('b')"))
            await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))  # taken

    with pytest.raises(IntegrityError):
        await b_then_a_again()
    async with db.read(short=short) as conn:
        names = (await conn.execute(text("SELECT name FROM t ORDER BY name"))).scalars().all()
    assert names == ["a"]  # 'b' was rolled back with the failed transaction
    # The connection went back to the pool in a clean state: the next write works.
    async with db.write() as conn:
        await conn.execute(text("INSERT INTO t (name) VALUES ('c')"))
    async with db.read(short=short) as conn:
        count = (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one()
    assert count == 2


@pytest.fixture
def trips(monkeypatch) -> list[str]:
    """The functions sent to a connection's thread, in order."""
    sent: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self, fn, *args, **kwargs):
        sent.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return sent


async def _busy_timeout(db: Database) -> int:
    async with db.read(short=True) as conn:
        return (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar_one()


async def test_an_uncontended_write_never_goes_to_the_thread(db, trips, fast_only):
    """With the write lock free, BEGIN IMMEDIATE, the statements and the COMMIT all run
    on the loop; the connection keeps its busy timeout for the next, contended, write."""
    async with db.write() as conn:
        await conn.execute(text("INSERT INTO t (name) VALUES ('x')"))
    assert trips == []
    assert await _busy_timeout(db) == BUSY_TIMEOUT_MS


async def test_a_write_waiting_for_another_process_leaves_the_loop_running(
    db, tmp_path, trips, fast_only
):
    """BEGIN IMMEDIATE waits in the connection's thread: while another connection (as
    another process would) holds the write lock, the event loop keeps serving."""
    other = sqlite3.connect(tmp_path / "hookline.db", timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t (name) VALUES ('first')")

    async def write() -> None:
        async with db.write() as conn:
            await conn.execute(text("INSERT INTO t (name) VALUES ('second')"))

    task = asyncio.create_task(write())
    started = time.monotonic()
    for _ in range(20):  # 0.2 s of sleeps: a blocked loop would not wake for any of them
        await asyncio.sleep(0.01)
    assert time.monotonic() - started < 2.0
    assert not task.done()  # still waiting for the lock
    other.execute("COMMIT")
    other.close()
    await asyncio.wait_for(task, timeout=10)
    assert trips == ["_run"]  # the BEGIN IMMEDIATE that had to wait, and nothing else
    async with db.read() as conn:
        names = (await conn.execute(text("SELECT name FROM t ORDER BY id"))).scalars().all()
    assert names == ["first", "second"]
    assert await _busy_timeout(db) == BUSY_TIMEOUT_MS
