"""One-time codes that open an alert's full details on the member page (the step-up)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import UtcDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "step_up_codes",
        sa.Column("request_id", sa.String(32), primary_key=True),
        sa.Column("alert_id", sa.String(32), nullable=False),
        sa.Column("member_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("code_digest", sa.String(64), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_step_up_codes_member_id", "step_up_codes", ["member_id"])


def downgrade() -> None:
    op.drop_index("ix_step_up_codes_member_id", table_name="step_up_codes")
    op.drop_table("step_up_codes")
