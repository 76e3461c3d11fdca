"""Bring a database to the newest schema with the Alembic migrations shipped here."""

from __future__ import annotations

import asyncio
import weakref
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from hookline.domain.errors import StoreUnavailable
from hookline.store.database import Database, is_outage

MIGRATIONS = Path(__file__).parent / "migrations"
_LOCK_ID = 0x486F6F6B  # "Hook": one migrator at a time on PostgreSQL


def _config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _upgrade(connection: Connection, revision: str) -> None:
    if connection.dialect.name == "postgresql":
        # Several processes may start at once; the advisory lock lets one migrate and
        # makes the others wait, then find nothing left to do.
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
    command.upgrade(_config(connection), revision)


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


# Alembic keeps its running context in module globals: two upgrades in one process must
# not interleave (across processes the database lock above is what serialises them).
_in_process: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


async def upgrade(db: Database, revision: str = "head") -> None:
    lock = _in_process.setdefault(asyncio.get_running_loop(), asyncio.Lock())
    try:
        async with lock, db.engine.begin() as conn:
            await conn.run_sync(_upgrade, revision)
    except Exception as exc:
        if is_outage(exc):
            raise StoreUnavailable(str(exc)) from exc
        raise


async def current_revision(db: Database) -> str | None:
    try:
        async with db.engine.connect() as conn:
            return await conn.run_sync(_current)
    except Exception as exc:
        if is_outage(exc):
            raise StoreUnavailable(str(exc)) from exc
        raise


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()
