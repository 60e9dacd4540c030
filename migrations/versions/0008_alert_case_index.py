"""routing_alerts: an index on group_key alone (inhibition finds a case's open alerts at
any team and level)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 14:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_routing_alerts_case", "routing_alerts", ["group_key"])


def downgrade() -> None:
    op.drop_index("ix_routing_alerts_case", table_name="routing_alerts")
