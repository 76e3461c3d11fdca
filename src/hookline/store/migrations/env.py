"""Alembic environment: runs on the connection `hookline.store.migrate` hands in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from hookline.store.schema import metadata

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # plain `alembic` command line, e.g. for autogenerate
        url = config.get_main_option("sqlalchemy.url") or "sqlite:///./hookline-data/hookline.db"
        with create_engine(url).begin() as conn:
            _migrate(conn)
        return
    _migrate(connection)


def _migrate(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
