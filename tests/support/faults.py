"""Real database errors for tests: triggers that make the database refuse rows."""

from __future__ import annotations

from sqlalchemy import text


async def refuse(db, table: str, when: str, *, name: str, event: str = "INSERT") -> None:
    """A trigger that makes the database refuse rows of `table` matching `when`."""
    async with db.write() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(
                text(
                    f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                    f"BEGIN IF {when} THEN RAISE EXCEPTION 'refused by the test ({name})'; "
                    "END IF; RETURN NEW; END $$"
                )
            )
            await conn.execute(
                text(
                    f"CREATE TRIGGER {name} BEFORE {event} ON {table} "
                    f"FOR EACH ROW EXECUTE FUNCTION {name}()"
                )
            )
        else:
            await conn.execute(
                text(
                    f"CREATE TRIGGER {name} BEFORE {event} ON {table} WHEN {when} "
                    f"BEGIN SELECT RAISE(ABORT, 'refused by the test ({name})'); END"
                )
            )


async def allow(db, table: str, *, name: str) -> None:
    """Drop what `refuse` made."""
    async with db.write() as conn:
        pg = conn.dialect.name == "postgresql"
        await conn.execute(text(f"DROP TRIGGER {name}" + (f" ON {table}" if pg else "")))
        if pg:
            await conn.execute(text(f"DROP FUNCTION {name}()"))
