"""`store.bulk.execute_many` writes exactly what `conn.execute(stmt, rows)` writes, on
both databases and both SQLite transports: the same values through the same type
processors, fixed values and expressions in the statement, fenced updates, defaults
computed in Python, and SQLAlchemy's errors. With the fast transport, SQLite gets the
statement prepared by the fence (`store.fast.bulk`); otherwise SQLAlchemy's own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from hookline.store.bulk import execute_many
from hookline.store.database import Database
from hookline.store.fast import bulk as fast_bulk
from hookline.store.sqlite_driver import SqliteDriver
from hookline.store.types import JSONType, UTCDateTime

metadata = sa.MetaData()


def _table(name: str) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("at", UTCDateTime, nullable=True),
        sa.Column("doc", JSONType, nullable=True),
        sa.Column("body", sa.LargeBinary, nullable=True),
        sa.Column("token", sa.String(32), nullable=True),
    )


ours, theirs = _table("bulk_ours"), _table("bulk_theirs")
with_default = sa.Table(
    "bulk_with_default",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("note", sa.Text, nullable=False, default=lambda: "from python"),
)

NOW = datetime(2026, 11, 24, 20, 0, 0, 123456, tzinfo=UTC)
ROWS: list[dict[str, Any]] = [
    {"id": "a", "n": 1, "at": NOW, "doc": {"k": [1, "x"]}, "body": b"\x00\xff", "token": "t1"},
    {"id": "b", "n": 2, "at": NOW, "doc": None, "body": None, "token": "t2"},
    {
        "id": "c",
        "n": 3,
        "at": datetime(2026, 11, 24, 22, 0, tzinfo=timezone(timedelta(hours=2))),
        "doc": "text",
        "body": b"",
        "token": None,
    },
    {"id": "d", "n": 4, "at": None, "doc": [], "body": b"x" * 3000, "token": "t4"},
]


def _insert(table: sa.Table) -> sa.Insert:
    return table.insert()


def _update(table: sa.Table) -> sa.Update:
    return (
        table.update()
        .where(table.c.id == sa.bindparam("b_id"), table.c.token == sa.bindparam("b_token"))
        .values(n=table.c.n + 10, at=sa.bindparam("b_at"), token=None, doc={"fixed": True})
    )


@pytest.fixture
async def db(db_url: str, sqlite_driver: SqliteDriver):
    database = Database(db_url, sqlite_driver=sqlite_driver)
    async with database.write() as conn:
        await conn.run_sync(metadata.create_all)
    database.compiled_by_sqlalchemy = []  # type: ignore[attr-defined]

    @sa.event.listens_for(database.engine.sync_engine, "before_cursor_execute")
    def _seen(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith(("INSERT INTO bulk_", "UPDATE bulk_")):
            database.compiled_by_sqlalchemy.append(context.compiled is not None)  # type: ignore[attr-defined]

    yield database
    async with database.write() as conn:
        await conn.run_sync(metadata.drop_all)
    await database.dispose()


async def _rows(db: Database, table: sa.Table) -> list[tuple[Any, ...]]:
    async with db.read() as conn:
        result = await conn.execute(sa.select(table).order_by(table.c.id))
        return [tuple(r) for r in result.all()]


async def test_inserts_and_updates_write_what_sqlalchemy_writes(db, sqlite_driver):
    insert_ours, insert_theirs = _insert(ours), _insert(theirs)
    update_ours, update_theirs = _update(ours), _update(theirs)
    later = NOW + timedelta(minutes=5)
    fenced = [
        {"b_id": "a", "b_token": "t1", "b_at": later},
        {"b_id": "b", "b_token": "wrong", "b_at": later},  # fenced out: not updated
        {"b_id": "d", "b_token": "t4", "b_at": None},
    ]
    async with db.write() as conn:
        await execute_many(conn, insert_ours, ROWS)
        await conn.execute(insert_theirs, ROWS)
        await execute_many(conn, update_ours, fenced)
        await conn.execute(update_theirs, fenced)
        # A second batch with the same keys reuses the prepared statement.
        await execute_many(conn, insert_ours, [{**ROWS[0], "id": "e"}])
        await conn.execute(insert_theirs, [{**ROWS[0], "id": "e"}])
        await execute_many(conn, insert_ours, [])  # nothing at all
    mine, reference = await _rows(db, ours), await _rows(db, theirs)
    assert mine == reference
    by_id = {r[0]: r for r in mine}
    assert by_id["a"][1:4] == (11, later, {"fixed": True})
    assert by_id["b"][1] == 2  # the wrong token left it alone
    assert by_id["c"][2] == datetime(2026, 11, 24, 20, 0, tzinfo=UTC)
    # Ours went to SQLite as prepared SQL (fast transport); PostgreSQL and the stock
    # transport keep SQLAlchemy's executemany.
    prepared = db.is_sqlite and sqlite_driver == "fast"
    assert db.compiled_by_sqlalchemy == [not prepared, True] * 3


async def test_a_default_computed_in_python_takes_sqlalchemys_path(db):
    async with db.write() as conn:
        await execute_many(conn, with_default.insert(), [{"id": "a"}, {"id": "b"}])
    assert await _rows(db, with_default) == [("a", "from python"), ("b", "from python")]
    assert db.compiled_by_sqlalchemy == [True]


async def test_a_refused_row_is_sqlalchemys_error_and_the_batch_is_not_written(db):
    insert_ours = _insert(ours)
    async with db.write() as conn:
        await execute_many(conn, insert_ours, ROWS[:1])

    async def again() -> None:
        async with db.write() as conn:
            await execute_many(conn, insert_ours, [{**ROWS[1], "id": "z"}, ROWS[0]])

    with pytest.raises(IntegrityError):
        await again()
    assert [r[0] for r in await _rows(db, ours)] == ["a"]


async def test_statements_built_per_call_do_not_pile_up(db):
    async with db.write() as conn:
        for i in range(fast_bulk.CACHE_SIZE + 50):  # a new statement object each time
            await execute_many(conn, ours.insert(), [{**ROWS[1], "id": f"s{i}"}])
    assert len(await _rows(db, ours)) == fast_bulk.CACHE_SIZE + 50
    assert len(fast_bulk._cache) <= fast_bulk.CACHE_SIZE
