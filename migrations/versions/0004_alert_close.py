"""routing_alerts closed_at, closed_by, close_note: an alert resolved (SELESAI <code>, the
console) stops its ladder and takes no more reports

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import UtcDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("routing_alerts") as batch:
        batch.add_column(sa.Column("closed_at", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("closed_by", sa.String(64), nullable=True))
        batch.add_column(sa.Column("close_note", sa.String(500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("routing_alerts") as batch:
        batch.drop_column("close_note")
        batch.drop_column("closed_by")
        batch.drop_column("closed_at")
