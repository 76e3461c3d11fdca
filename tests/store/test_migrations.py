"""Every migration, replayed on an empty database of each kind, yields the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from hookline.store import migrate
from hookline.store.database import Database
from hookline.store.schema import metadata
from hookline.store.sqlite_driver import SqliteDriver


async def _fresh(db_url: str, sqlite_driver: SqliteDriver) -> Database:
    db = Database(db_url, sqlite_driver=sqlite_driver)
    async with db.engine.begin() as conn:
        # The PostgreSQL fixture clones a migrated template: start from nothing.
        await conn.run_sync(lambda c: metadata.drop_all(c))
        await conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    return db


async def test_migrations_replayed_from_empty_match_the_models(db_url, sqlite_driver):
    db = await _fresh(db_url, sqlite_driver)
    try:
        assert await migrate.current_revision(db) is None
        await migrate.upgrade(db)
        assert await migrate.current_revision(db) == migrate.head_revision()

        def diff(sync_conn):
            ctx = MigrationContext.configure(sync_conn, opts={"compare_type": True})
            return compare_metadata(ctx, metadata)

        async with db.engine.connect() as conn:
            differences = await conn.run_sync(diff)
        assert differences == []
        # Running it again is a no-op.
        await migrate.upgrade(db)
    finally:
        await db.dispose()
