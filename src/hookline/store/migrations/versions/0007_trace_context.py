"""trace context: messages keep their publish span's, endpoints may ask for it

`messages.trace_context` holds the W3C traceparent of the publish span (when the
publishing process exports traces), so that the attempt spans, in whatever worker
process they run, link to it. `endpoints.send_trace_context` sends the attempt span's
traceparent to the endpoint; off by default.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("trace_context", sa.String(length=55), nullable=True))
    with op.batch_alter_table("endpoints", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("send_trace_context", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("endpoints", schema=None) as batch_op:
        batch_op.drop_column("send_trace_context")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("trace_context")
