"""What the fence (`hookline.store.fast`) buys on SQLite, piece by piece, in one process.

    .venv/bin/python -m bench.sqlite_drivers [--rounds 7] [--ops 400]

Three ways, taken in turns round after round, each first in its turn (a busy machine
drifts; turns make the drift hit each alike), each on a fresh file: `fast` (the
default: the one-trip transport and the compiled-once batches), `fast, stock batches`
(the transport alone: batches go through SQLAlchemy's `conn.execute(stmt, rows)`), and
`stock` (HOOKLINE_SQLITE_DRIVER=stock). Four operations, shaped like the delivery
path's: a publish (a write transaction: one message row and one delivery row, each a
batch of one), a batch of 100 rows in one write transaction (a claim's or the
recorder's), a short read (an indexed look-up), and 16 publishes at once. The figures
are medians over the rounds, of wall time and of the process's CPU time (the loop's
thread and the connections' threads together) per operation.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.store.bulk import execute_many
from hookline.store.database import Database
from hookline.store.types import JSONType, UTCDateTime

metadata = sa.MetaData()
rows_table = sa.Table(
    "rows",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("tenant_id", sa.String(32), nullable=False),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("doc", JSONType, nullable=True),
    sa.Column("body", sa.LargeBinary, nullable=True),
)
INSERT = rows_table.insert()
LOOKUP = sa.select(rows_table.c.n, rows_table.c.at).where(rows_table.c.id == sa.bindparam("id"))
NOW = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)

Batch = Callable[[AsyncConnection, list[dict[str, Any]]], Awaitable[None]]


async def _fenced_batch(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    await execute_many(conn, INSERT, rows)


async def _stock_batch(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    await conn.execute(INSERT, rows)


WAYS: dict[str, tuple[str, Batch]] = {
    "fast": ("fast", _fenced_batch),
    "fast, stock batches": ("fast", _stock_batch),
    "stock": ("stock", _stock_batch),
}


class _Ids:
    def __init__(self) -> None:
        self.n = 0

    def rows(self, count: int) -> list[dict[str, Any]]:
        made = []
        for _ in range(count):
            self.n += 1
            made.append(
                {
                    "id": f"r{self.n:012d}",
                    "tenant_id": "t1",
                    "n": self.n,
                    "at": NOW,
                    "doc": {"type": "invoice.paid", "n": self.n},
                    "body": b"x" * 1024,
                }
            )
        return made


async def _measure(way: str, ops: int, directory: Path) -> dict[str, tuple[float, float]]:
    driver, batch = WAYS[way]
    db = Database(f"sqlite:///{directory / 'bench.db'}", sqlite_driver=driver)  # type: ignore[arg-type]
    ids = _Ids()
    try:
        async with db.write() as conn:
            await conn.run_sync(metadata.create_all)

        async def publish() -> None:
            async with db.write() as conn:
                await batch(conn, ids.rows(1))
                await batch(conn, ids.rows(1))

        async def hundred() -> None:
            async with db.write() as conn:
                await batch(conn, ids.rows(100))

        async def look_up() -> None:
            async with db.read(short=True) as conn:
                (await conn.execute(LOOKUP, {"id": "r000000000001"})).one()

        async def sixteen_at_once() -> None:
            await asyncio.gather(*(publish() for _ in range(16)))

        results: dict[str, tuple[float, float]] = {}
        for name, op, count in (
            ("publish", publish, ops),
            ("batch of 100", hundred, max(1, ops // 20)),
            ("short read", look_up, ops),
            ("16 publishes at once", sixteen_at_once, max(1, ops // 16)),
        ):
            await op()  # warm: the pool's connection, compiled statements
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(count):
                await op()
            results[name] = (
                (time.perf_counter() - wall) / count,
                (time.process_time() - cpu) / count,
            )
        return results
    finally:
        await db.dispose()


async def _main(rounds: int, ops: int) -> None:
    seen: dict[str, dict[str, list[tuple[float, float]]]] = {w: {} for w in WAYS}
    ways = list(WAYS)
    for round_ in range(rounds):
        turn = round_ % len(ways)
        for way in ways[turn:] + ways[:turn]:  # each way first in turn
            with tempfile.TemporaryDirectory(prefix="hl-drivers-") as directory:
                for name, figures in (await _measure(way, ops, Path(directory))).items():
                    seen[way].setdefault(name, []).append(figures)
        print(f"round {round_ + 1}/{rounds} done", flush=True)
    print(f"\nmedians over {rounds} rounds, µs per operation: wall / CPU")
    names = list(next(iter(seen.values())))
    print(f"{'operation':<22}" + "".join(f"{way:>24}" for way in WAYS))
    for name in names:
        cells = []
        for way in WAYS:
            wall = statistics.median(w for w, _ in seen[way][name]) * 1e6
            cpu = statistics.median(c for _, c in seen[way][name]) * 1e6
            cells.append(f"{wall:>12.0f} / {cpu:<9.0f}")
        print(f"{name:<22}" + "".join(f"{c:>24}" for c in cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--ops", type=int, default=400)
    args = parser.parse_args()
    import uvloop  # the loop `hookline` runs on

    uvloop.run(_main(args.rounds, args.ops))


if __name__ == "__main__":
    main()
