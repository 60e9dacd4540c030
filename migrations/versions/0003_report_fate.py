"""routing_processed_reports.fate: what became of each report (its alerts and their
outcomes, the alerts it was a duplicate in, or its dead letter), for `timpora report`

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("routing_processed_reports", sa.Column("fate", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("routing_processed_reports", "fate")
