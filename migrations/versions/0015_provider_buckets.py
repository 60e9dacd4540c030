"""Provider send limits shared by every notify instance

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 12:00:00

One row per send bucket (``notify_service.buckets``): a provider account
(``{channel}:{account}``: a digest of the bot token, the WhatsApp phone number id, the
SMSC or gateway host) or a Telegram chat (``...:chat:{keyed digest of the chat id}``),
with ``next_free``, the earliest start of the bucket's next send in epoch seconds of the
database's clock. Rows are created on first use, locked FOR UPDATE for each take.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "provider_buckets",
        sa.Column("bucket_key", sa.String(128), primary_key=True),
        sa.Column("next_free", sa.Float(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("provider_buckets")
