"""Offices as records (home area, fallback team, sources, policy overrides)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 12:00:00

Also indexes ``team_members.team_id``: with the national directory (31,000 people) a
team's members were a sequential scan each time notify loaded a team.

Until a deployment imports its offices (``timpora offices import``), routing keeps the
policy file's ``offices:`` list; console users name their office by its id.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.db import UtcDateTime

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "offices",
        sa.Column("office_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("home_area", sa.JSON(), nullable=False),
        sa.Column("fallback_team", sa.String(64), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("defaults", sa.JSON(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_team_members_team_id", "team_members", ["team_id"])


def downgrade() -> None:
    op.drop_index("ix_team_members_team_id", table_name="team_members")
    op.drop_table("offices")
