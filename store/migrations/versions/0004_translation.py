"""machine translation: message translation status, the translation cache, usage per engine and day

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("translation_status", sa.String(length=12), nullable=True))
    op.create_table(
        "translations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("target", sa.String(length=8), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("engine", sa.String(length=20), nullable=False),
        sa.Column("translated", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "target", "digest", name="uq_translation_text"),
    )
    op.create_table(
        "translation_usage",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("engine", sa.String(length=20), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("characters", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "engine"),
    )


def downgrade() -> None:
    op.drop_table("translation_usage")
    op.drop_table("translations")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("translation_status")
