"""fifo ordering, rate slots, failing since

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hookline.store.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_slots",
        sa.Column("endpoint_id", sa.String(length=32), nullable=False),
        sa.Column("next_slot", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["endpoints.id"],
            name=op.f("fk_rate_slots_endpoint_id_endpoints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("endpoint_id", name=op.f("pk_rate_slots")),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fifo_key", sa.String(length=255), nullable=True))
        batch_op.create_index(
            "ix_deliveries_fifo_head",
            ["endpoint_id", "fifo_key", "id"],
            unique=False,
            sqlite_where=sa.text("status = 'pending' AND fifo_key IS NOT NULL"),
            postgresql_where=sa.text("status = 'pending' AND fifo_key IS NOT NULL"),
        )

    with op.batch_alter_table("endpoints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failing_since", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("endpoints", schema=None) as batch_op:
        batch_op.drop_column("failing_since")

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_deliveries_fifo_head",
            sqlite_where=sa.text("status = 'pending' AND fifo_key IS NOT NULL"),
            postgresql_where=sa.text("status = 'pending' AND fifo_key IS NOT NULL"),
        )
        batch_op.drop_column("fifo_key")

    op.drop_table("rate_slots")
