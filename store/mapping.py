"""Rows to model records: the only place that knows both shapes; nothing outside `store/`
ever sees a row."""

from __future__ import annotations

from typing import Any

from model import (
    Agent,
    AgentState,
    Attachment,
    Author,
    Channel,
    ChannelIdentity,
    Contact,
    Conversation,
    ConversationState,
    Decider,
    Direction,
    Event,
    Message,
    MessageStatus,
    Queue,
    QuickReply,
    Role,
)
from store.tables import AgentRow, ChannelIdentityRow, ContactRow, ConversationRow, EventRow, MessageRow, QueueRow


def contact_record(row: ContactRow, identities: list[ChannelIdentityRow]) -> Contact:
    return Contact(
        id=row.id,
        display_name=row.display_name,
        identities=tuple(ChannelIdentity(Channel(i.channel), i.external_id) for i in identities),
    )


def message_record(row: MessageRow, agent_username: str | None = None) -> Message:
    return Message(
        id=str(row.id),
        conversation_id=row.conversation_id,
        channel=Channel(row.channel),
        direction=Direction(row.direction),
        author=Author(row.author),
        agent=agent_username,
        text=row.text,
        language=row.language,
        translation=row.translation,
        translation_status=row.translation_status,
        status=MessageStatus(row.status),
        created_at=row.created_at,
        client_id=row.provider_message_id if row.direction == Direction.IN.value else None,
        actions=tuple(QuickReply(**action) for action in row.actions or ()),
        attachments=tuple(Attachment(**attachment) for attachment in row.attachments or ()),
        error=row.error,
        attempts=row.attempts,
        abuse=tuple(row.abuse or ()),
    )


def conversation_record(
    row: ConversationRow,
    contact: Contact,
    agent_username: str | None,
    queue_position: int | None = None,
    last_message: dict[str, Any] | None = None,
    warnings: int = 0,
    abuse: bool = False,
) -> Conversation:
    return Conversation(
        id=row.id,
        channel=Channel(row.channel),
        state=ConversationState(row.state),
        contact=contact,
        sender=row.sender,
        language=row.language,
        category=row.category,
        queue=row.queue,
        priority=row.priority,
        assigned_agent=agent_username,
        created_at=row.created_at,
        queued_at=row.queued_at,
        offer_expires_at=row.offer_expires_at,
        answered_at=row.answered_at,
        first_response_at=row.first_response_at,
        resolved_at=row.resolved_at,
        disposition=row.disposition,
        bot_failures=row.bot_failures,
        category_source=Decider(row.category_source) if row.category_source else None,
        language_source=Decider(row.language_source) if row.language_source else None,
        assigned_agent_id=row.assigned_agent_id,
        abandoned=row.abandoned,
        queue_position=queue_position,
        last_message=last_message,
        warnings=warnings,
        abuse=abuse,
    )


def agent_record(row: AgentRow, active_conversations: int = 0) -> Agent:
    return Agent(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=Role(row.role),
        state=AgentState(row.state),
        skills=tuple(row.skills or ()),
        languages=tuple(row.languages or ()),
        capacity={key: int(value) for key, value in (row.capacity or {}).items()},
        idle_since=row.idle_since,
        active_conversations=active_conversations,
        active=row.active,
    )


def event_record(row: EventRow) -> Event:
    return Event(type=row.type, actor=row.actor, at=row.at, data=dict(row.data or {}))


def queue_record(row: QueueRow, waiting: int = 0, longest_wait_seconds: float = 0.0) -> Queue:
    return Queue(
        name=row.name,
        label=row.label,
        bot_first=row.bot_first,
        sla_seconds=row.sla_seconds,
        waiting=waiting,
        longest_wait_seconds=longest_wait_seconds,
    )


def write_conversation(row: ConversationRow, conversation: Conversation) -> None:
    """Copy what the hub may change on a conversation from its record onto its row."""
    row.state = conversation.state.value
    row.language = conversation.language
    row.language_source = conversation.language_source.value if conversation.language_source else None
    row.category = conversation.category
    row.category_source = conversation.category_source.value if conversation.category_source else None
    row.queue = conversation.queue
    row.priority = conversation.priority
    row.assigned_agent_id = conversation.assigned_agent_id
    row.bot_failures = conversation.bot_failures
    row.queued_at = conversation.queued_at
    row.offer_expires_at = conversation.offer_expires_at
    row.answered_at = conversation.answered_at
    row.first_response_at = conversation.first_response_at
    row.resolved_at = conversation.resolved_at
    row.disposition = conversation.disposition
    row.abandoned = conversation.abandoned
