"""What the monthly VOC report reads besides the rounds: the citizens' own words, and the
article the bot answered each conversation with.

Both are read for a few thousand conversations at a time (the report walks a month's
rounds in chunks), as narrow tuples in the order they were stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from model.vocabulary import Author, Direction, EventType
from store.tables import EventRow, MessageRow


@dataclass(frozen=True, slots=True)
class CitizenText:
    """One message a citizen wrote: its text, its language, and its Korean translation when
    it was written in another language and translated."""

    conversation_id: str
    created_at: datetime
    text: str
    language: str | None
    translation: str | None


@dataclass(frozen=True, slots=True)
class AnsweredArticle:
    """The bot answered a conversation with this article at this time."""

    conversation_id: str
    at: datetime
    article_id: str


async def citizen_texts(session: AsyncSession, conversation_ids: Sequence[str]) -> list[CitizenText]:
    """Every message the citizens wrote in these conversations, by conversation, oldest first."""
    rows = await session.execute(
        select(
            MessageRow.conversation_id,
            MessageRow.created_at,
            MessageRow.text,
            MessageRow.language,
            MessageRow.translation,
        )
        .where(
            MessageRow.conversation_id.in_(conversation_ids),
            MessageRow.direction == Direction.IN.value,
            MessageRow.author == Author.CITIZEN.value,
        )
        .order_by(MessageRow.conversation_id, MessageRow.id)
    )
    return [CitizenText(*row) for row in rows]


async def answered_articles(session: AsyncSession, conversation_ids: Sequence[str]) -> list[AnsweredArticle]:
    """The articles the bot answered these conversations with (`bot_answered` events that
    name one), by conversation, oldest first."""
    article = EventRow.data["article"].as_string()
    rows = await session.execute(
        select(EventRow.conversation_id, EventRow.at, article)
        .where(
            EventRow.conversation_id.in_(conversation_ids),
            EventRow.type == EventType.BOT_ANSWERED.value,
        )
        .order_by(EventRow.conversation_id, EventRow.id)
    )
    return [AnsweredArticle(conversation_id, at, article_id) for conversation_id, at, article_id in rows if article_id]
