"""messages carry the fingerprint of the request that published them

The same idempotency key with a different request (another event type, payload or
ordering key) is refused with 409 instead of answered with the first message (DESIGN §3).
Messages stored before this revision have none and are answered as before.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("messages", sa.Column("request_fingerprint", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("request_fingerprint")
