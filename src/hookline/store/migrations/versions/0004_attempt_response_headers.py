"""attempts keep the response's header fields

What a receiver answered besides its status and body (DESIGN §6: cut to 1 KiB and
marked as cut), for the attempt detail of the API and the dashboard. Attempts recorded
before have none (NULL).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("attempts", sa.Column("response_headers", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("attempts", "response_headers")  # SQLite 3.35+ drops columns too
