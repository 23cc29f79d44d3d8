"""Queries and writes on contacts, conversations, messages and their events."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from model import Channel, Contact, Conversation, ConversationState, Event, Message
from store.records import contact_record, conversation_record, event_record, message_record
from store.tables import AgentRow, ChannelIdentityRow, ContactRow, ConversationRow, EventRow, MessageRow

WAITING_STATES = (ConversationState.QUEUED.value, ConversationState.OFFERED.value)
HELD_STATES = (ConversationState.OFFERED.value, ConversationState.ASSIGNED.value)


def new_id() -> str:
    return uuid.uuid4().hex


async def find_inbound(session: AsyncSession, channel: str, sender: str, provider_message_id: str) -> MessageRow | None:
    return await session.scalar(
        select(MessageRow).where(
            MessageRow.channel == channel,
            MessageRow.sender == sender,
            MessageRow.provider_message_id == provider_message_id,
        )
    )


async def ensure_contact(
    session: AsyncSession, channel: str, external_id: str, display_name: str, now: datetime
) -> ContactRow:
    """The contact behind a channel identity, created on first contact."""
    identity = await session.scalar(
        select(ChannelIdentityRow).where(
            ChannelIdentityRow.channel == channel, ChannelIdentityRow.external_id == external_id
        )
    )
    if identity:
        contact = await session.get(ContactRow, identity.contact_id)
        assert contact is not None
        return contact
    contact = ContactRow(id=new_id(), display_name=display_name, created_at=now)
    session.add(contact)
    await session.flush()
    session.add(ChannelIdentityRow(contact_id=contact.id, channel=channel, external_id=external_id))
    await session.flush()
    return contact


async def latest_conversation(session: AsyncSession, channel: str, sender: str) -> ConversationRow | None:
    return await session.scalar(
        select(ConversationRow)
        .where(ConversationRow.channel == channel, ConversationRow.sender == sender)
        .order_by(ConversationRow.created_at.desc())
        .limit(1)
    )


async def conversation_row(session: AsyncSession, conversation_id: str, lock: bool = False) -> ConversationRow | None:
    query = select(ConversationRow).where(ConversationRow.id == conversation_id)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


def create_conversation(
    session: AsyncSession, contact_id: str, channel: str, sender: str, now: datetime
) -> ConversationRow:
    row = ConversationRow(
        id=new_id(),
        contact_id=contact_id,
        channel=channel,
        sender=sender,
        state=ConversationState.BOT.value,
        priority=0,
        bot_failures=0,
        abandoned=False,
        created_at=now,
        last_message_at=now,
    )
    session.add(row)
    return row


async def add_message(session: AsyncSession, **fields: Any) -> MessageRow:
    fields.setdefault("actions", [])
    row = MessageRow(**fields)
    session.add(row)
    await session.flush()
    return row


def add_event(session: AsyncSession, conversation_id: str, type_: str, actor: str, at: datetime, **data: Any) -> None:
    session.add(EventRow(conversation_id=conversation_id, type=type_, actor=actor, at=at, data=data))


async def replies_to(session: AsyncSession, message_id: int) -> list[MessageRow]:
    return list(
        await session.scalars(select(MessageRow).where(MessageRow.in_reply_to == message_id).order_by(MessageRow.id))
    )


async def queue_position(session: AsyncSession, row: ConversationRow) -> int | None:
    """1 for the next conversation the queue serves; None when not waiting."""
    if row.state not in WAITING_STATES or row.queued_at is None:
        return None
    if row.state == ConversationState.OFFERED.value:
        return 1
    ahead = await session.scalar(
        select(func.count())
        .select_from(ConversationRow)
        .where(
            ConversationRow.queue == row.queue,
            ConversationRow.state == ConversationState.QUEUED.value,
            ConversationRow.id != row.id,
            or_(
                ConversationRow.priority > row.priority,
                and_(ConversationRow.priority == row.priority, ConversationRow.queued_at < row.queued_at),
            ),
        )
    )
    return int(ahead or 0) + 1


async def contact(session: AsyncSession, contact_id: str) -> Contact:
    rows = (
        await session.execute(
            select(ContactRow, ChannelIdentityRow)
            .join(ChannelIdentityRow, ChannelIdentityRow.contact_id == ContactRow.id)
            .where(ContactRow.id == contact_id)
            .order_by(ChannelIdentityRow.id)
        )
    ).all()
    if not rows:  # a contact is created with its first identity, so this is a broken row
        raise LookupError(f"contact {contact_id} has no channel identity")
    return contact_record(rows[0][0], [identity for _, identity in rows])


async def agent_usernames(session: AsyncSession, agent_ids: set[str]) -> dict[str, str]:
    if not agent_ids:
        return {}
    rows = await session.execute(select(AgentRow.id, AgentRow.username).where(AgentRow.id.in_(agent_ids)))
    return {agent_id: username for agent_id, username in rows}


async def conversations(
    session: AsyncSession, rows: list[ConversationRow], last: MessageRow | None = None
) -> list[Conversation]:
    """Full records for rows, with contact, agent, queue position and last message.

    `last` saves a query when the caller has just added the last message of a single row.
    """
    usernames = await agent_usernames(session, {r.assigned_agent_id for r in rows if r.assigned_agent_id})
    contacts: dict[str, Contact] = {}
    records = []
    for row in rows:
        if row.contact_id not in contacts:
            contacts[row.contact_id] = await contact(session, row.contact_id)
        if last is None or last.conversation_id != row.id:
            last = await session.scalar(
                select(MessageRow).where(MessageRow.conversation_id == row.id).order_by(MessageRow.id.desc()).limit(1)
            )
        records.append(
            conversation_record(
                row,
                contacts[row.contact_id],
                usernames.get(row.assigned_agent_id or ""),
                await queue_position(session, row),
                last,
            )
        )
    return records


async def conversation(session: AsyncSession, row: ConversationRow, last: MessageRow | None = None) -> Conversation:
    return (await conversations(session, [row], last))[0]


async def list_conversations(
    session: AsyncSession,
    states: tuple[str, ...] = (),
    queues: tuple[str, ...] = (),
    agent_id: str | None = None,
    limit: int = 200,
) -> list[Conversation]:
    query = select(ConversationRow)
    if states:
        query = query.where(ConversationRow.state.in_(states))
    if queues:
        query = query.where(ConversationRow.queue.in_(queues))
    if agent_id:
        query = query.where(ConversationRow.assigned_agent_id == agent_id)
    query = query.order_by(
        ConversationRow.priority.desc(), ConversationRow.queued_at.asc(), ConversationRow.created_at.asc()
    ).limit(limit)
    return await conversations(session, list(await session.scalars(query)))


async def changed_message(session: AsyncSession, row: MessageRow) -> tuple[Conversation, Message]:
    """A message just changed (status, translation) with its conversation, for the bus."""
    await session.flush()
    owner = await conversation_row(session, row.conversation_id)
    assert owner is not None  # a message references its conversation (foreign key)
    [message] = await message_records(session, [row])
    return await conversation(session, owner), message


async def message_records(session: AsyncSession, rows: list[MessageRow]) -> list[Message]:
    usernames = await agent_usernames(session, {r.agent_id for r in rows if r.agent_id})
    return [message_record(row, usernames.get(row.agent_id or "")) for row in rows]


async def messages(session: AsyncSession, conversation_id: str) -> list[Message]:
    rows = await session.scalars(
        select(MessageRow).where(MessageRow.conversation_id == conversation_id).order_by(MessageRow.id)
    )
    return await message_records(session, list(rows))


async def messages_for_sender(
    session: AsyncSession, channel: Channel, sender: str, after: int | None, limit: int = 500
) -> list[Message]:
    query = select(MessageRow).where(MessageRow.channel == channel.value, MessageRow.sender == sender)
    if after is not None:
        query = query.where(MessageRow.id > after)
    rows = await session.scalars(query.order_by(MessageRow.id).limit(limit))
    return await message_records(session, list(rows))


async def events(session: AsyncSession, conversation_id: str) -> list[Event]:
    rows = await session.scalars(
        select(EventRow).where(EventRow.conversation_id == conversation_id).order_by(EventRow.id)
    )
    return [event_record(row) for row in rows]


async def contact_history(
    session: AsyncSession, contact_id: str, limit: int = 20
) -> list[tuple[Conversation, list[Message]]]:
    rows = list(
        await session.scalars(
            select(ConversationRow)
            .where(ConversationRow.contact_id == contact_id)
            .order_by(ConversationRow.created_at.desc())
            .limit(limit)
        )
    )
    return [(record, await messages(session, record.id)) for record in await conversations(session, rows)]


async def waiting_by_queue(session: AsyncSession) -> dict[str, tuple[int, datetime | None]]:
    """Per queue: how many conversations wait and since when the oldest has waited."""
    rows = await session.execute(
        select(ConversationRow.queue, func.count(), func.min(ConversationRow.queued_at))
        .where(ConversationRow.state.in_(WAITING_STATES))
        .group_by(ConversationRow.queue)
    )
    return {queue: (int(count), oldest) for queue, count, oldest in rows if queue}


async def held_by_agent(session: AsyncSession) -> dict[str, dict[str, int]]:
    """Per agent and channel kind, the conversations offered to or assigned to them."""
    rows = await session.execute(
        select(ConversationRow.assigned_agent_id, ConversationRow.channel, func.count())
        .where(ConversationRow.state.in_(HELD_STATES), ConversationRow.assigned_agent_id.is_not(None))
        .group_by(ConversationRow.assigned_agent_id, ConversationRow.channel)
    )
    held: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for agent_id, channel, count in rows:
        held[agent_id][Channel(channel).kind] += int(count)
    return held


async def add_outbound(
    session: AsyncSession,
    row: ConversationRow,
    author: str,
    text: str,
    now: datetime,
    language: str | None = None,
    agent_id: str | None = None,
    in_reply_to: int | None = None,
    actions: list[dict[str, str]] | None = None,
) -> MessageRow:
    """A message to the citizen, stored as queued before any channel sends it."""
    row.last_message_at = now
    return await add_message(
        session,
        conversation_id=row.id,
        channel=row.channel,
        sender=row.sender,
        provider_message_id=None,
        direction="out",
        author=author,
        agent_id=agent_id,
        text=text,
        language=language if language is not None else row.language,
        status="queued",
        in_reply_to=in_reply_to,
        actions=actions or [],
        created_at=now,
    )


async def outbound_by_provider_id(session: AsyncSession, channel: str, provider_message_id: str) -> MessageRow | None:
    return await session.scalar(
        select(MessageRow).where(
            MessageRow.channel == channel,
            MessageRow.direction == "out",
            MessageRow.provider_message_id == provider_message_id,
        )
    )


async def held_for(session: AsyncSession, channel: str, sender: str) -> list[MessageRow]:
    """Outbound messages kept for the citizen's next contact, oldest first."""
    rows = await session.scalars(
        select(MessageRow)
        .where(MessageRow.channel == channel, MessageRow.sender == sender, MessageRow.status == "held")
        .order_by(MessageRow.id)
    )
    return list(rows)


async def merge_contacts(session: AsyncSession, keep_id: str, merged_id: str) -> list[str]:
    """Move the merged contact's identities and conversations to the kept one; returns the
    moved conversations' ids. The merged contact is deleted."""
    identities = await session.scalars(select(ChannelIdentityRow).where(ChannelIdentityRow.contact_id == merged_id))
    for identity in identities:
        identity.contact_id = keep_id
    moved = list(await session.scalars(select(ConversationRow).where(ConversationRow.contact_id == merged_id)))
    for row in moved:
        row.contact_id = keep_id
    await session.flush()
    merged = await session.get(ContactRow, merged_id)
    if merged is not None:
        await session.delete(merged)
    await session.flush()
    return [row.id for row in moved]
