"""Writing a conversation's changes, shared by ingest, the desk and the dispatcher.

Every state change goes through `router.lifecycle.moved`; these helpers store the result
with its event and the citizen's notice, and collect what to publish once committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from hub.bus import ConversationChanged, EventBus, HubEvent, MessageAdded
from model import (
    AGENT_LANGUAGE,
    Author,
    Conversation,
    Direction,
    EventType,
    Message,
    MessageStatus,
    QuickReply,
    TranslationStatus,
)
from model.catalog import Catalog
from router.lifecycle import Move, moved
from store import conversations


@dataclass
class Changes:
    """What a write touched, published on the bus once it is committed."""

    events: list[HubEvent] = field(default_factory=list)

    def publish_to(self, bus: EventBus) -> None:
        bus.publish(*self.events)


async def reply(
    session: AsyncSession,
    conversation: Conversation,
    author: Author,
    text: str,
    now: datetime,
    in_reply_to: str | None = None,
    actions: Sequence[QuickReply] = (),
    agent_id: str | None = None,
    translation: str | None = None,
) -> Message:
    """A message to the citizen, stored as queued for the outbox; `translation`: the agents'
    Korean of a text the citizen receives in their language."""
    return await conversations.add_message(
        session,
        conversation,
        Direction.OUT,
        author,
        text,
        now,
        language=conversation.language,
        status=MessageStatus.QUEUED,
        agent_id=agent_id,
        in_reply_to=in_reply_to,
        actions=actions,
        translation=translation,
        translation_status=TranslationStatus.TRANSLATED.value if translation is not None else None,
    )


async def say(
    session: AsyncSession,
    conversation: Conversation,
    catalog: Catalog,
    author: Author,
    key: str,
    now: datetime,
    in_reply_to: str | None = None,
    actions: Sequence[QuickReply] = (),
    **values: object,
) -> Message:
    """A fixed text from the catalogue in the citizen's language; agents, who work in Korean,
    get the Korean beside it (no engine needed: the catalogue has both)."""
    language = conversation.language or AGENT_LANGUAGE
    text = catalog.text(key, language, **values)
    korean = catalog.text(key, AGENT_LANGUAGE, **values) if language != AGENT_LANGUAGE else None
    return await reply(session, conversation, author, text, now, in_reply_to, actions, translation=korean)


async def enqueue(
    session: AsyncSession,
    conversation: Conversation,
    catalog: Catalog,
    queue: str,
    reason: str,
    actor: str,
    now: datetime,
    in_reply_to: str | None = None,
) -> tuple[Conversation, Message]:
    """Put a conversation in a queue and tell the citizen their position."""
    queued = moved(conversation, Move.QUEUE, now, queue=queue)
    await conversations.save(session, queued)
    position = await conversations.queue_position(session, queued)
    conversations.add_event(session, queued.id, EventType.QUEUED, actor, now, queue=queue, position=position,
                            reason=reason)  # fmt: skip
    notice = await say(session, queued, catalog, Author.SYSTEM, "system.queued", now, in_reply_to, position=position)
    return queued, notice


async def publish_messages(
    session: AsyncSession, conversation_id: str, messages: Sequence[Message], changes: Changes
) -> Conversation:
    """Queue bus events for new messages and the conversation they changed; returns the
    conversation as it is now."""
    record = await conversations.conversation(session, conversation_id, last=messages[-1] if messages else None)
    assert record is not None
    for message in messages:
        changes.events.append(MessageAdded(record, message))
    changes.events.append(ConversationChanged(record))
    return record
