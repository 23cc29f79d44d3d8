"""departments and handovers (부서이관, 담당자 연결)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "departments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("webhook_url", sa.String(length=500), nullable=True),
        sa.Column("webhook_secret", sa.String(length=128), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("personal_data", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("directory_id", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("directory_id"),
    )
    op.create_table(
        "handovers",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("officer_name", sa.String(length=100), nullable=True),
        sa.Column("officer_phone", sa.String(length=40), nullable=True),
        sa.Column("officer_email", sa.String(length=254), nullable=True),
        sa.Column("need", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivery", sa.String(length=20), nullable=False),
        sa.Column("via", sa.String(length=20), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"]),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"]),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_handovers_conversation_id", "handovers", ["conversation_id"])
    op.create_index("ix_handovers_department_id", "handovers", ["department_id"])
    op.create_index("ix_handovers_agent_id", "handovers", ["agent_id"])
    op.create_index("ix_handovers_delivery_next_attempt_at", "handovers", ["delivery", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_handovers_delivery_next_attempt_at", table_name="handovers")
    op.drop_index("ix_handovers_agent_id", table_name="handovers")
    op.drop_index("ix_handovers_department_id", table_name="handovers")
    op.drop_index("ix_handovers_conversation_id", table_name="handovers")
    op.drop_table("handovers")
    op.drop_table("departments")
