"""The questions editors should write articles for: each citizen question the bot could not
answer, and each one an agent answered by hand. Stored masked: these lists are read by
editors, who see no conversation and no citizen's personal numbers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from model.masking import mask
from store.tables import QuestionRow


class QuestionKind(StrEnum):
    UNANSWERED = "unanswered"
    """The bot had no answer (it said so, or handed over after failing)."""
    AGENT_ANSWERED = "agent_answered"
    """An agent answered it by hand; the answer is kept beside it."""


@dataclass(frozen=True)
class Question:
    id: int
    kind: QuestionKind
    message_id: str
    """The citizen's message (unanswered) or the agent's reply (agent_answered)."""
    conversation_id: str
    language: str
    text: str
    """Masked."""
    answer: str | None
    """The agent's reply, masked (agent_answered only)."""
    category: str | None
    article_id: str | None
    """The article written for it, once there is one."""
    created_at: datetime


async def record(
    session: AsyncSession,
    kind: QuestionKind,
    message_id: str,
    conversation_id: str,
    language: str,
    text: str,
    now: datetime,
    category: str | None = None,
    answer: str | None = None,
) -> None:
    """Keep a question, masked; a message already kept is left as it is (one statement, so
    two writers of the same message neither fail nor keep it twice)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    await session.execute(
        dialect.insert(QuestionRow)
        .values(
            kind=kind.value,
            message_id=message_id,
            conversation_id=conversation_id,
            language=language,
            text=mask(text),
            answer=mask(answer) if answer is not None else None,
            category=category,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["message_id"])
    )


async def open_questions(
    session: AsyncSession, since: datetime, kind: QuestionKind | None = None, limit: int = 10_000
) -> list[Question]:
    """Questions kept since `since` that no article covers yet, of one kind or both: the
    newest `limit`, oldest first."""
    query = select(QuestionRow).where(QuestionRow.created_at >= since, QuestionRow.article_id.is_(None))
    if kind is not None:
        query = query.where(QuestionRow.kind == kind.value)
    rows = list(
        await session.scalars(query.order_by(QuestionRow.created_at.desc(), QuestionRow.id.desc()).limit(limit))
    )
    return [_record(row) for row in reversed(rows)]


async def by_ids(session: AsyncSession, ids: Iterable[int]) -> list[Question]:
    """The questions with these ids that exist, oldest first."""
    rows = await session.scalars(select(QuestionRow).where(QuestionRow.id.in_(set(ids))).order_by(QuestionRow.id))
    return [_record(row) for row in rows]


async def cover(
    session: AsyncSession, article_id: str, ids: Iterable[int] = (), message_ids: Iterable[str] = ()
) -> int:
    """Mark questions (by id, or by the message they were kept for) as covered by
    `article_id`; questions another article covers already keep theirs. Returns how many."""
    ids, message_ids = set(ids), set(message_ids)
    if not ids and not message_ids:
        return 0
    chosen = QuestionRow.id.in_(ids) | QuestionRow.message_id.in_(message_ids)
    result: Any = await session.execute(
        update(QuestionRow).where(chosen, QuestionRow.article_id.is_(None)).values(article_id=article_id)
    )
    return int(result.rowcount)


def _record(row: QuestionRow) -> Question:
    return Question(
        row.id,
        QuestionKind(row.kind),
        row.message_id,
        row.conversation_id,
        row.language,
        row.text,
        row.answer,
        row.category,
        row.article_id,
        row.created_at,
    )
