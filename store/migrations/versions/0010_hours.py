"""queue hours, holidays and after-hours handover

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "queue_hours",
        sa.Column("queue", sa.String(length=40), nullable=False),
        sa.Column("weekly", sa.JSON(), nullable=False),
        sa.Column("on_holidays", sa.JSON(), nullable=True),
        sa.Column("after_hours_queue", sa.String(length=40), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["queue"], ["queues.name"]),
        sa.ForeignKeyConstraint(["after_hours_queue"], ["queues.name"]),
        sa.PrimaryKeyConstraint("queue"),
    )
    op.create_table(
        "holidays",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("hours", sa.JSON(), nullable=False),
        sa.Column("seeded", sa.Boolean(), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("day"),
    )


def downgrade() -> None:
    op.drop_table("holidays")
    op.drop_table("queue_hours")
