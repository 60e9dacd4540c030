"""WhatsApp's 24-hour window: the last time each number wrote to the reply number

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 12:00:00

Keyed by a keyed digest of the number (``notify_service.whatsapp_window.number_key``),
not the number itself. Written by the reply webhook, read before each WhatsApp send to
choose free text or the approved template.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import UtcDateTime

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "whatsapp_windows",
        sa.Column("number_key", sa.String(64), primary_key=True),
        sa.Column("last_inbound_at", UtcDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("whatsapp_windows")
