"""Sealed columns of endpoints, read and rewritten in batches by master key rotation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.store.schema import endpoints as t

SEALED_COLUMNS = ("secret_sealed", "previous_secret_sealed", "auth_sealed")


@dataclass(frozen=True, slots=True)
class SealedValue:
    """One sealed column of one endpoint (deleted endpoints included: they keep secrets)."""

    endpoint_id: str
    column: str  # one of SEALED_COLUMNS
    sealed: str

    @property
    def context(self) -> str:
        """The associated data it was sealed with (see `_seal_secret` and `_values`)."""
        kind = "auth" if self.column == "auth_sealed" else "secret"
        return f"{kind}:{self.endpoint_id}"


async def list_sealed_values(
    conn: AsyncConnection, *, after_id: str | None, limit: int
) -> tuple[list[SealedValue], str | None]:
    """Every sealed value of up to `limit` endpoints after `after_id` (in id order), and
    the id to continue after (None when there are no more endpoints)."""
    stmt = select(t.c.id, *(t.c[c] for c in SEALED_COLUMNS)).order_by(t.c.id).limit(limit)
    if after_id is not None:
        stmt = stmt.where(t.c.id > after_id)
    rows = (await conn.execute(stmt)).all()
    values = [
        SealedValue(row.id, column, getattr(row, column))
        for row in rows
        for column in SEALED_COLUMNS
        if getattr(row, column)
    ]
    return values, (rows[-1].id if len(rows) == limit else None)


async def rewrite_sealed_values(
    conn: AsyncConnection, changes: Sequence[tuple[SealedValue, str]]
) -> int:
    """Replace each sealed value by its new sealing; return how many were replaced.

    Compare-and-set: a value that changed since it was read (a secret rotated through
    the API meanwhile) is left alone, so rotation never brings back an old secret.
    """
    replaced = 0
    for old, new in changes:
        column = t.c[old.column]
        result = await conn.execute(
            update(t).where(t.c.id == old.endpoint_id, column == old.sealed).values({column: new})
        )
        replaced += result.rowcount
    return replaced
