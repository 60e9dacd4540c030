"""Provider delivery reports: deliveries.receipt (awaiting → delivered → read | failed |
unconfirmed) and receipt_at, the indexes reports and the unconfirmed sweep look up, and
early_receipts (reports that arrived before their send was recorded)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import UtcDateTime

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("receipt", sa.String(16), nullable=True))
        batch_op.add_column(sa.Column("receipt_at", UtcDateTime(), nullable=True))
    op.create_index(
        "ix_deliveries_wamid",
        "deliveries",
        ["provider_message_id"],
        postgresql_where=sa.text("channel = 'whatsapp'"),
    )
    op.create_index(
        "ix_deliveries_awaiting",
        "deliveries",
        ["channel", "updated_at"],
        postgresql_where=sa.text("receipt = 'awaiting'"),
    )
    op.create_table(
        "early_receipts",
        sa.Column("provider", sa.String(16), primary_key=True),
        sa.Column("message_id", sa.String(200), primary_key=True),
        sa.Column("state", sa.String(16), primary_key=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("received_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("early_receipts")
    op.drop_index("ix_deliveries_awaiting", table_name="deliveries")
    op.drop_index("ix_deliveries_wamid", table_name="deliveries")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("receipt_at")
        batch_op.drop_column("receipt")
