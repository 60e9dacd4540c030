"""Each alert version stored once (not in every delivery row); erasure marks for retention

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 14:30:00

``deliveries.alert`` held the whole routed alert, personal data included, in every row
(one per member and channel). ``alert_versions`` holds it once per version; the rows
already there are copied before the column goes. ``erased_at`` marks what the retention
job (``timpora purge``) has erased: an alert's, and each version's.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import UtcDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_versions",
        sa.Column("alert_id", sa.String(32), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("jurisdiction_code", sa.String(20), nullable=False),
        sa.Column("jurisdiction_name", sa.String(200), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("erased_at", UtcDateTime(), nullable=True),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            INSERT INTO alert_versions (alert_id, version, reason, level, severity,
                                        jurisdiction_code, jurisdiction_name, payload, created_at)
            SELECT DISTINCT ON (alert_id, alert_version)
                   alert_id, alert_version, alert->>'reason', alert->>'level',
                   alert->>'severity', alert->>'jurisdiction_code', alert->>'jurisdiction_name',
                   alert, created_at
            FROM deliveries
            ORDER BY alert_id, alert_version, created_at
            """
        )
    else:  # SQLite (the component tests' engine): one row per group, any of them
        op.execute(
            """
            INSERT INTO alert_versions (alert_id, version, reason, level, severity,
                                        jurisdiction_code, jurisdiction_name, payload, created_at)
            SELECT alert_id, alert_version, alert ->> '$.reason', alert ->> '$.level',
                   alert ->> '$.severity', alert ->> '$.jurisdiction_code',
                   alert ->> '$.jurisdiction_name', alert, MIN(created_at)
            FROM deliveries
            GROUP BY alert_id, alert_version
            """
        )
    op.drop_column("deliveries", "alert")
    op.add_column("routing_alerts", sa.Column("erased_at", UtcDateTime(), nullable=True))
    op.create_index(
        "ix_routing_alerts_unerased",
        "routing_alerts",
        ["updated_at", "alert_id"],
        postgresql_where=sa.text("erased_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_routing_alerts_unerased", table_name="routing_alerts")
    op.drop_column("routing_alerts", "erased_at")
    op.add_column("deliveries", sa.Column("alert", sa.JSON(), nullable=True))
    op.execute(
        "UPDATE deliveries d SET alert = v.payload FROM alert_versions v "
        "WHERE v.alert_id = d.alert_id AND v.version = d.alert_version"
    )
    op.alter_column("deliveries", "alert", nullable=False)
    op.drop_table("alert_versions")
