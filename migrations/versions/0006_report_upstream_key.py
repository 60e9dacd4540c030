"""routing_processed_reports.upstream_key (indexed): a report's source and upstream id, so
a later report that references it (CAP Update or Cancel) finds the alerts that hold it

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-16 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("routing_processed_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("upstream_key", sa.String(length=400), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_routing_processed_reports_upstream_key"), ["upstream_key"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("routing_processed_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_routing_processed_reports_upstream_key"))
        batch_op.drop_column("upstream_key")
