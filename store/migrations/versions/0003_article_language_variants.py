"""knowledge-base articles keyed by (id, language): one article, a variant per language

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = "id, language, category, title, body, keywords, updated_at"


def _articles_table(name: str, primary_key: tuple[str, ...]) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(*primary_key, name="pk_kb_articles_" + "_".join(primary_key)),
    )


def _replace_articles(primary_key: tuple[str, ...]) -> None:
    # Copy, drop, rename: a primary key change that SQLite and PostgreSQL both take.
    _articles_table("kb_articles_next", primary_key)
    op.execute(f"INSERT INTO kb_articles_next ({COLUMNS}) SELECT {COLUMNS} FROM kb_articles")
    op.drop_table("kb_articles")
    op.rename_table("kb_articles_next", "kb_articles")


def upgrade() -> None:
    _replace_articles(("id", "language"))


def downgrade() -> None:
    op.execute("DELETE FROM kb_articles WHERE language <> 'ko'")
    _replace_articles(("id",))
