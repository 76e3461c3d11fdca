"""WAL checkpoints (`store.checkpoints`): with background checkpoints, no commit copies
the log into the database file; a thread does, and everything written reaches it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from hookline.store.checkpoints import Checkpointer
from hookline.store.database import Database
from support.databases import sqlite_url

ROWS = 1500  # a page each: more than SQLite's automatic checkpoint threshold (1,000 pages)
FULL = ROWS * 4000  # bytes the database file holds once the log is copied into it


async def _fill(db: Database) -> None:
    async with db.write() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, blob BLOB)"))
    for _ in range(3):
        async with db.write() as conn:
            await conn.execute(
                text("INSERT INTO t (blob) VALUES (randomblob(4000))"), [{}] * (ROWS // 3)
            )


async def _autocheckpoint(db: Database) -> int:
    async with db.read() as conn:
        value: int = (await conn.execute(text("PRAGMA wal_autocheckpoint"))).scalar_one()
    return value


def _file_size(tmp_path: Path) -> int:
    return (tmp_path / "hookline.db").stat().st_size


async def test_commits_leave_the_log_to_the_checkpointer(tmp_path, sqlite_driver):
    db = Database(sqlite_url(tmp_path), background_checkpoints=True, sqlite_driver=sqlite_driver)
    assert isinstance(db.checkpointer, Checkpointer)
    db.checkpointer._interval = 3600  # not before stop(): only commits could copy
    try:
        await _fill(db)
        assert await _autocheckpoint(db) == 0
        assert _file_size(tmp_path) < FULL / 10  # no commit copied the log
        await db.checkpointer.stop()  # a last checkpoint of everything written
        assert _file_size(tmp_path) >= FULL
    finally:
        await db.dispose()


async def test_the_checkpointer_copies_the_log_while_writes_go_on(tmp_path, sqlite_driver):
    db = Database(sqlite_url(tmp_path), background_checkpoints=True, sqlite_driver=sqlite_driver)
    assert db.checkpointer is not None
    try:
        await _fill(db)
        for _ in range(100):  # bounded: 100 × 50 ms
            # The file grows while a checkpoint copies; it counts once the copy is done.
            if _file_size(tmp_path) >= FULL and db.checkpointer.runs >= 1:
                break
            await asyncio.sleep(0.05)
        assert _file_size(tmp_path) >= FULL
        assert db.checkpointer.runs >= 1
        async with db.read() as conn:
            count = (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one()
        assert count == ROWS
    finally:
        await db.dispose()
    assert db.checkpointer._task is None  # stopped with the database


async def test_without_background_checkpoints_commits_checkpoint_as_sqlite_does(
    tmp_path, sqlite_driver
):
    db = Database(sqlite_url(tmp_path), sqlite_driver=sqlite_driver)
    try:
        assert db.checkpointer is None
        await _fill(db)
        assert await _autocheckpoint(db) == 1000
        assert _file_size(tmp_path) >= FULL * 0.6  # the commits past 1,000 pages copied
    finally:
        await db.dispose()


async def test_the_log_starts_over_while_writes_go_on(tmp_path, sqlite_driver):
    """Commits back to back, as under load: the checkpoints still let the log start over
    from its beginning, so the log file on disk does not grow for as long as the writes
    last (about 5 MB of rows are written here; 13 MB on the stock transport)."""
    db = Database(sqlite_url(tmp_path), background_checkpoints=True, sqlite_driver=sqlite_driver)
    assert db.checkpointer is not None
    db.checkpointer._interval = 0.02
    # Each commit a few pages: about 2,500 frames in all (fast). The stock transport's
    # writes leave the loop free, so checkpoints run beside them and copy more at a time:
    # its log starts over less often (3.4-10 MB seen after 1,500 commits), and it
    # writes more for a growing log to stand out.
    commits = 600 if sqlite_driver == "fast" else 1500
    limit = 3_500_000 if sqlite_driver == "fast" else 16_000_000
    try:
        async with db.write() as conn:
            await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, blob BLOB)"))
        for _ in range(commits):
            async with db.write() as conn:
                await conn.execute(text("INSERT INTO t (blob) VALUES (randomblob(9000))"))
            await asyncio.sleep(0)  # a publish's worth of other work in between
        assert db.checkpointer.runs >= 5
        log_file = (tmp_path / "hookline.db-wal").stat().st_size
        # Starting over, it stays near 1.3 MB (fast); growing, it reached 10.5 MB here
        # after 600 commits (26 MB after 1,500).
        assert log_file < limit
        async with db.read() as conn:
            count = (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one()
        assert count == commits
    finally:
        await db.dispose()


async def test_an_idle_process_holds_no_writer_off(tmp_path, sqlite_driver):
    """Once everything written is copied, a checkpoint does not take the write lock: a
    writer holding it (a long transaction) does not wait for checkpoints, nor they for
    it. After a write the finish holds writers again."""
    db = Database(sqlite_url(tmp_path), background_checkpoints=True, sqlite_driver=sqlite_driver)
    assert db.checkpointer is not None
    db.checkpointer._interval = 3600  # each checkpoint below is the test's own
    try:
        await _fill(db)
        await db.checkpointer.checkpoint()  # copies all, and finishes
        assert _file_size(tmp_path) >= FULL
        async with db.write():
            await asyncio.wait_for(db.checkpointer.checkpoint(), timeout=5)
        async with db.write() as conn:
            await conn.execute(text("INSERT INTO t (blob) VALUES (randomblob(4000))"))
        async with db.write():
            finishing = asyncio.create_task(db.checkpointer.checkpoint())
            await asyncio.sleep(0.2)
            assert not finishing.done()  # its finish waits for the writer
        await asyncio.wait_for(finishing, timeout=5)
    finally:
        await db.dispose()
