"""channels on messages and endpoints

A message may carry up to ten channel names; an endpoint with channels set receives
only the messages that share one of them (DESIGN §3). Both are JSON lists, NULL when
there are none: an endpoint without channels receives every message.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hookline.store.types import JSONType

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channels", JSONType, nullable=True))
    with op.batch_alter_table("endpoints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channels", JSONType, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("endpoints", schema=None) as batch_op:
        batch_op.drop_column("channels")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("channels")
