"""acks.action/note (an ack and a close by the same member are two records) and
ack_notices: the "Diterima oleh ..." messages, one per ack and member (claimed before sent)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-09 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import shared.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("acks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("action", sa.String(length=8), nullable=False, server_default="ack")
        )
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch_op.drop_constraint("uq_acks_alert_id_member_id", type_="unique")
        batch_op.create_unique_constraint(
            "uq_acks_alert_id_member_id_action", ["alert_id", "member_id", "action"]
        )
    op.create_table(
        "ack_notices",
        sa.Column("notice_id", sa.String(length=32), nullable=False),
        sa.Column("ack_id", sa.String(length=32), nullable=False),
        sa.Column("alert_id", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", shared.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("notice_id", name=op.f("pk_ack_notices")),
        sa.UniqueConstraint("ack_id", "member_id", name=op.f("uq_ack_notices_ack_id_member_id")),
    )
    with op.batch_alter_table("ack_notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ack_notices_alert_id"), ["alert_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ack_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ack_notices_alert_id"))
    op.drop_table("ack_notices")
    with op.batch_alter_table("acks", schema=None) as batch_op:
        batch_op.drop_constraint("uq_acks_alert_id_member_id_action", type_="unique")
        batch_op.create_unique_constraint("uq_acks_alert_id_member_id", ["alert_id", "member_id"])
        batch_op.drop_column("note")
        batch_op.drop_column("action")
