"""Region versions: which Kepmendagri decree the stored region codes follow

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 12:00:00

Written by ``timpora regions migrate`` in the transaction that remaps teams, silences,
offices and users' scopes; no row means the shipped data's decree. Alerts keep the codes
they were routed with.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import UtcDateTime

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "region_versions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("decree", sa.String(200), nullable=False),
        sa.Column("previous", sa.String(200), nullable=False),
        sa.Column("applied_at", UtcDateTime(), nullable=False),
        sa.Column("applied_by", sa.String(100), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("region_versions")
