"""What the hub holds on one contact, whole and unmasked: a citizen's request to see their
data (PIPA 열람 요구) is answered from this. Erasure uses `store.retention`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from model import Conversation, ConversationState, Event, EventType, Message
from model.records import iso
from store import conversations
from store.tables import (
    CallbackTaskRow,
    ChannelIdentityRow,
    ContactBlockRow,
    ContactRow,
    ConversationRow,
    DepartmentRow,
    HandoverRow,
)


@dataclass(frozen=True)
class ContactData:
    """Everything held on a contact: the contact with its phone and channel identities, its
    conversations with their messages and events, its blocks, and the callbacks and handovers
    to departments made for it (their needs and answers speak of the citizen)."""

    contact: dict[str, Any]
    conversations: list[tuple[Conversation, list[Message], list[Event]]]
    blocks: list[dict[str, Any]]
    callbacks: list[dict[str, Any]]
    handovers: list[dict[str, Any]]

    def survey_answers(self) -> list[dict[str, Any]]:
        """The citizen's ratings and comments, from the conversations' events."""
        return [
            {"conversation_id": conversation.id, "at": iso(event.at), **{
                key: event.data[key] for key in ("score", "comment") if key in event.data}}
            for conversation, _, events in self.conversations
            for event in events
            if event.type == EventType.SURVEY_ANSWERED
        ]  # fmt: skip

    def attachments(self) -> list[dict[str, Any]]:
        """Every attachment of the conversations' messages, with where it was sent."""
        return [
            {"conversation_id": conversation.id, "message_id": message.id, **attachment.to_json()}
            for conversation, messages, _ in self.conversations
            for message in messages
            for attachment in message.attachments
        ]


async def contact_data(session: AsyncSession, contact_id: str) -> ContactData | None:
    """Everything held on the contact, oldest conversation first; None when there is no such contact."""
    row = await session.get(ContactRow, contact_id)
    if row is None:
        return None
    identities = await session.scalars(
        select(ChannelIdentityRow).where(ChannelIdentityRow.contact_id == contact_id).order_by(ChannelIdentityRow.id)
    )
    contact = {
        "id": row.id,
        "display_name": row.display_name,
        "phone": row.phone,
        "created_at": iso(row.created_at),
        "identities": [{"channel": i.channel, "external_id": i.external_id} for i in identities],
    }
    found = sorted(await conversations.of_contact(session, contact_id), key=lambda c: c.created_at)
    held = [
        (
            conversation,
            await conversations.messages(session, conversation.id),
            await conversations.events(session, conversation.id),
        )
        for conversation in await conversations.conversations_by_id(session, [c.id for c in found])
    ]
    held.sort(key=lambda item: item[0].created_at)
    blocks = await session.scalars(
        select(ContactBlockRow).where(ContactBlockRow.contact_id == contact_id).order_by(ContactBlockRow.id)
    )
    ids = [conversation.id for conversation, _, _ in held]
    callbacks = await session.scalars(
        select(CallbackTaskRow).where(CallbackTaskRow.conversation_id.in_(ids)).order_by(CallbackTaskRow.created_at)
    )
    handovers = await session.execute(
        select(HandoverRow, DepartmentRow.name)
        .join(DepartmentRow, DepartmentRow.id == HandoverRow.department_id)
        .where(HandoverRow.conversation_id.in_(ids))
        .order_by(HandoverRow.created_at)
    )
    return ContactData(
        contact,
        held,
        [_block(block) for block in blocks],
        [_callback(task) for task in callbacks],
        [_handover(handover, department) for handover, department in handovers],
    )


def _callback(row: CallbackTaskRow) -> dict[str, Any]:
    return {
        "conversation_id": row.conversation_id,
        "channel": row.channel,
        "need": row.need,
        "due_at": iso(row.due_at),
        "state": row.state,
        "outcome": row.outcome,
        "attempts": row.attempts,
        "created_at": iso(row.created_at),
    }


def _handover(row: HandoverRow, department: str) -> dict[str, Any]:
    return {
        "conversation_id": row.conversation_id,
        "department": department,
        "kind": row.kind,
        "officer_name": row.officer_name,
        "need": row.need,
        "delivery": row.delivery,
        "sent_at": iso(row.sent_at),
        "answer": row.answer,
        "answered_at": iso(row.answered_at),
        "created_at": iso(row.created_at),
    }


def _block(row: ContactBlockRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "conversation_id": row.conversation_id,
        "until": iso(row.until),
        "reason": row.reason,
        "actor": row.actor,
        "created_at": iso(row.created_at),
        "lifted_at": iso(row.lifted_at),
        "lifted_by": row.lifted_by,
    }


async def conversation_states(session: AsyncSession, contact_id: str) -> dict[str, ConversationState]:
    """The contact's conversations and their states, locked until the commit (a message arriving
    meanwhile waits for an erasure to finish)."""
    rows = await session.execute(
        select(ConversationRow.id, ConversationRow.state)
        .where(ConversationRow.contact_id == contact_id)
        .order_by(ConversationRow.created_at)
        .with_for_update()
    )
    return {conversation_id: ConversationState(state) for conversation_id, state in rows}
