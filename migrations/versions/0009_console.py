"""The operator console: users, sessions, the audit log, notes on alerts; routing_alerts
gains the report's place (scoping) and indexes for the console's scoped, newest-first lists;
teams gain their duty roster (piket)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import UtcDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("teams", sa.Column("roster", sa.JSON(), nullable=True))  # piket
    op.add_column("routing_alerts", sa.Column("place_code", sa.String(20), nullable=True))
    for name, column in (("place", "place_code"), ("code", "jurisdiction_code")):
        op.create_index(
            f"ix_routing_alerts_{name}",
            "routing_alerts",
            [column],
            postgresql_ops={column: "varchar_pattern_ops"},  # LIKE '63.10.%' uses it
        )
    op.create_index("ix_routing_alerts_created", "routing_alerts", ["created_at"])
    # the overview: active alerts (few) by status, the week's acks by time
    op.create_index("ix_routing_alerts_status", "routing_alerts", ["status", "created_at"])
    op.create_index("ix_routing_alerts_acked", "routing_alerts", ["acked_at"])
    op.create_table(
        "console_users",
        sa.Column("user_id", sa.String(32), primary_key=True),
        sa.Column("username", sa.String(50), nullable=False, unique=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("office", sa.String(64), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("member_id", sa.String(64), nullable=True),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", UtcDateTime(), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "console_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column(
            "user_id",
            sa.String(32),
            sa.ForeignKey("console_users.user_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("last_seen_at", UtcDateTime(), nullable=False),
        sa.Column("ip", sa.String(64), nullable=True),
    )
    op.create_index("ix_console_sessions_user_id", "console_sessions", ["user_id"])
    op.create_table(
        "console_audit",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("username", sa.String(50), nullable=False),
        sa.Column("office", sa.String(64), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(64), nullable=True),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    op.create_index("ix_console_audit_at", "console_audit", ["at"])
    op.create_index("ix_console_audit_username", "console_audit", ["username"])
    op.create_index("ix_console_audit_target", "console_audit", ["target"])
    op.create_table(
        "console_alert_notes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.String(32), nullable=False),
        sa.Column("username", sa.String(50), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
    )
    op.create_index("ix_console_alert_notes_alert_id", "console_alert_notes", ["alert_id"])


def downgrade() -> None:
    op.drop_table("console_alert_notes")
    op.drop_table("console_audit")
    op.drop_table("console_sessions")
    op.drop_table("console_users")
    for name in ("acked", "status", "created", "code", "place"):
        op.drop_index(f"ix_routing_alerts_{name}", table_name="routing_alerts")
    op.drop_column("routing_alerts", "place_code")
    op.drop_column("teams", "roster")
