"""Operators' reassignments of alerts to another team (console → routing)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 20:00:00

The console records the request; routing's timer loop decides it once
(``routing_service.reassign``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import UtcDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "routing_reassignments",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.String(32), nullable=False),
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("requested_by", sa.String(100), nullable=False),
        sa.Column("requested_at", UtcDateTime(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("refusal", sa.String(32), nullable=True),
        sa.Column("done_at", UtcDateTime(), nullable=True),
    )
    op.create_index("ix_routing_reassignments_alert_id", "routing_reassignments", ["alert_id"])
    op.create_index("ix_routing_reassignments_state", "routing_reassignments", ["state"])


def downgrade() -> None:
    op.drop_table("routing_reassignments")
