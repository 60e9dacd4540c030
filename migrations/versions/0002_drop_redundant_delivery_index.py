"""drop ix_deliveries_alert_id: the unique key (alert_id, alert_version, member_id,
channel) starts with alert_id and serves the same lookups; one btree less to maintain
on every delivery claim and outcome update

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 22:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_deliveries_alert_id", table_name="deliveries")


def downgrade() -> None:
    op.create_index("ix_deliveries_alert_id", "deliveries", ["alert_id"], unique=False)
