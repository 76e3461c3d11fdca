"""endpoint slots and the shared concurrency limit

An endpoint's cap on attempts in flight holds for every worker together: a worker
sends only within the slots it holds in `endpoint_slots`, taken in its claim under the
endpoint's lock and living as long as a lease. Back-pressure's lowered limit is shared
too (`endpoints.concurrency_limit`, NULL while at the cap).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hookline.store.types import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "endpoint_slots",
        sa.Column("endpoint_id", sa.String(length=32), nullable=False),
        sa.Column("holder", sa.String(length=32), nullable=False),
        sa.Column("held", sa.Integer(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["endpoints.id"],
            name=op.f("fk_endpoint_slots_endpoint_id_endpoints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("endpoint_id", "holder", name=op.f("pk_endpoint_slots")),
    )
    op.create_index(op.f("ix_endpoint_slots_holder"), "endpoint_slots", ["holder"], unique=False)
    with op.batch_alter_table("endpoints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("concurrency_limit", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("endpoints", schema=None) as batch_op:
        batch_op.drop_column("concurrency_limit")
    op.drop_index(op.f("ix_endpoint_slots_holder"), table_name="endpoint_slots")
    op.drop_table("endpoint_slots")
