"""teams and parts of agents (팀, 파트): an agent is in one part at most

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "parts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "name", name="uq_part_team_name"),
    )
    op.create_index("ix_parts_team_id", "parts", ["team_id"])
    op.create_table(
        "part_members",
        sa.Column("agent_id", sa.String(length=32), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"]),
        sa.ForeignKeyConstraint(["part_id"], ["parts.id"]),
        sa.PrimaryKeyConstraint("agent_id"),
    )
    op.create_index("ix_part_members_part_id", "part_members", ["part_id"])


def downgrade() -> None:
    op.drop_index("ix_part_members_part_id", table_name="part_members")
    op.drop_table("part_members")
    op.drop_index("ix_parts_team_id", table_name="parts")
    op.drop_table("parts")
    op.drop_table("teams")
