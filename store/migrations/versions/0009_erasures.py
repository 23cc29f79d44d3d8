"""erasures: which conversations had their personal data anonymised (by retention or at the
citizen's request), and an index to find the conversations resolved before a date

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "erasures",
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("texts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attachments_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"]),
        sa.PrimaryKeyConstraint("conversation_id"),
    )
    op.create_index("ix_conversations_resolved_at", "conversations", ["resolved_at"])


def downgrade() -> None:
    op.drop_index("ix_conversations_resolved_at", table_name="conversations")
    op.drop_table("erasures")
