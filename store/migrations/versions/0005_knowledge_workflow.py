"""knowledge-base workflow: entries, immutable revisions, history, the change log the search
indexes follow, validity dates, outdated variants, phone-directory links, and the questions
editors should write articles for

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

import json
from collections import defaultdict
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kb_articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("valid_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("valid_until", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("outdated", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("directory", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
    op.create_table(
        "kb_entries",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("outdated", sa.Boolean(), nullable=False),
        sa.Column("head", sa.Integer(), nullable=False),
        sa.Column("published", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_kb_entries_updated_at", "kb_entries", ["updated_at"])
    op.create_table(
        "kb_revisions",
        sa.Column("article_id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["kb_entries.id"]),
        sa.PrimaryKeyConstraint("article_id", "number"),
    )
    op.create_table(
        "kb_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("article_id", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["kb_entries.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_kb_events_article_id", "kb_events", ["article_id"])
    op.create_table(
        "kb_changes",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("article_id", sa.String(length=64), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_table(
        "kb_questions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("message_id", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("category", sa.String(length=20), nullable=True),
        sa.Column("article_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    op.create_index("ix_kb_questions_conversation_id", "kb_questions", ["conversation_id"])
    op.create_index("ix_kb_questions_created_at", "kb_questions", ["created_at"])
    _published_history()


def _published_history() -> None:
    """Articles stored before the workflow existed were public: each becomes an entry whose
    first revision is published, written by `system`."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT id, language, category, title, body, keywords FROM kb_articles")
    ).mappings()
    articles: dict[str, dict] = defaultdict(lambda: {"variants": {}})
    for row in rows:
        keywords = row["keywords"]
        content = articles[row["id"]]
        content["category"] = row["category"] if row["language"] == "ko" else content.get("category", row["category"])
        content["variants"][row["language"]] = {
            "title": row["title"],
            "body": row["body"],
            "keywords": keywords if isinstance(keywords, list) else json.loads(keywords or "[]"),
            "outdated": False,
        }
    now = datetime.now(timezone.utc)
    entry_columns = "id state category title outdated head published created_by created_at updated_at"
    entries = sa.table("kb_entries", *(sa.column(c) for c in entry_columns.split()))
    revisions = sa.table(
        "kb_revisions",
        sa.column("article_id"),
        sa.column("number"),
        sa.column("content", sa.JSON()),
        sa.column("author"),
        sa.column("created_at"),
    )
    events = sa.table(
        "kb_events", *(sa.column(c) for c in ("article_id", "revision", "action", "actor", "comment", "at"))
    )
    for article_id, content in articles.items():
        content |= {"valid_from": None, "valid_until": None, "directory": []}
        title = (content["variants"].get("ko") or next(iter(content["variants"].values())))["title"]
        connection.execute(
            entries.insert().values(
                id=article_id, state="published", category=content["category"], title=title, outdated=False,
                head=1, published=1, created_by="system", created_at=now, updated_at=now,
            )
        )  # fmt: skip
        connection.execute(
            revisions.insert().values(article_id=article_id, number=1, content=content, author="system", created_at=now)
        )
        connection.execute(
            events.insert().values(article_id=article_id, revision=1, action="imported", actor="system", at=now)
        )


def downgrade() -> None:
    op.drop_index("ix_kb_questions_created_at", table_name="kb_questions")
    op.drop_index("ix_kb_questions_conversation_id", table_name="kb_questions")
    op.drop_table("kb_questions")
    op.drop_table("kb_changes")
    op.drop_index("ix_kb_events_article_id", table_name="kb_events")
    op.drop_table("kb_events")
    op.drop_table("kb_revisions")
    op.drop_index("ix_kb_entries_updated_at", table_name="kb_entries")
    op.drop_table("kb_entries")
    with op.batch_alter_table("kb_articles", schema=None) as batch_op:
        for column in ("revision", "directory", "outdated", "valid_until", "valid_from"):
            batch_op.drop_column(column)
