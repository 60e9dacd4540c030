"""Team group destinations (a Telegram group per team) and the group messages

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 12:00:00

``teams.telegram_group_chat_id``: the team's Telegram group (a negative chat id), where
notify sends each alert version once with the ack button. ``team_group_messages``: each
message sent to a group (chat id and Bot API message id), so that a button press finds
its alert, the first press takes it (``taken_by``) and the message is edited once to show
who did (``edit_status``). No personal data: ids, and the taker's role and initials.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import UtcDateTime

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("teams", sa.Column("telegram_group_chat_id", sa.String(32), nullable=True))
    op.create_table(
        "team_group_messages",
        sa.Column("chat_id", sa.String(32), primary_key=True),
        sa.Column("message_id", sa.BigInteger(), primary_key=True),
        sa.Column("alert_id", sa.String(32), nullable=False),
        sa.Column("alert_version", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("delivery_id", sa.String(32), nullable=False),
        sa.Column("ack_code", sa.String(12), nullable=False),
        sa.Column("repeat", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("sent_at", UtcDateTime(), nullable=False),
        sa.Column("taken_by", sa.String(64), nullable=True),
        sa.Column("taken_label", sa.String(200), nullable=True),
        sa.Column("taken_at", UtcDateTime(), nullable=True),
        sa.Column("edit_status", sa.String(16), nullable=True),
        sa.Column("edit_error", sa.Text(), nullable=True),
    )
    op.create_index("ix_team_group_messages_alert_id", "team_group_messages", ["alert_id"])


def downgrade() -> None:
    op.drop_index("ix_team_group_messages_alert_id", "team_group_messages")
    op.drop_table("team_group_messages")
    op.drop_column("teams", "telegram_group_chat_id")
