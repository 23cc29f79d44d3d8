"""Conversations, their messages and their events: queries and writes in model records.

Every function takes the session of one `Store.read()` or `Store.write()` block (the
transaction) and returns model records; rows never leave this package.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from model import (
    Attachment,
    Author,
    Channel,
    Contact,
    Conversation,
    ConversationState,
    Direction,
    Event,
    EventType,
    Message,
    MessageStatus,
    QuickReply,
)
from model.masking import mask
from store.contacts import contact
from store.mapping import conversation_record, event_record, message_record, write_conversation
from store.tables import AgentRow, ConversationRow, EventRow, MessageRow

WAITING_STATES = (ConversationState.QUEUED.value, ConversationState.OFFERED.value)
HELD_STATES = (ConversationState.OFFERED.value, ConversationState.ASSIGNED.value)


def new_id() -> str:
    return uuid.uuid4().hex


# -- conversations ----------------------------------------------------------------------


def _held(session: AsyncSession, row: ConversationRow | None) -> ConversationRow | None:
    """Keep the row for the rest of the transaction. The session's identity map holds rows
    weakly, and the records given out hold none: without this, `save` and `add_message`
    would read the row again."""
    if row is not None:
        session.info.setdefault("conversation_rows", set()).add(row)
    return row


async def _row(session: AsyncSession, conversation_id: str, lock: bool = False) -> ConversationRow | None:
    if not lock:  # a row this transaction already holds is not read again
        return _held(session, await session.get(ConversationRow, conversation_id))
    query = select(ConversationRow).where(ConversationRow.id == conversation_id).with_for_update()
    return _held(session, await session.scalar(query))


async def conversation(session: AsyncSession, conversation_id: str, last: Message | None = None) -> Conversation | None:
    """The conversation as agents and citizens see it, with contact, agent, queue position and
    last message (`last`, when the caller has just added it, saves a query)."""
    row = await _row(session, conversation_id)
    return (await _records(session, [row], last))[0] if row else None


async def to_change(session: AsyncSession, conversation_id: str) -> Conversation | None:
    """The conversation, locked until the commit (PostgreSQL: two changes to one conversation
    follow each other), as a bare record: what a
    change reads and `save` writes back. Bare: no contact details, agent name, position or
    last message, which would cost three queries inside the write."""
    row = await _row(session, conversation_id, lock=True)
    return _bare(row) if row else None


def _bare(row: ConversationRow) -> Conversation:
    return conversation_record(row, Contact(row.contact_id, ""), None)


async def _latest_row(session: AsyncSession, channel: Channel, sender: str) -> ConversationRow | None:
    return _held(
        session,
        await session.scalar(
            select(ConversationRow)
            .where(ConversationRow.channel == channel.value, ConversationRow.sender == sender)
            .order_by(ConversationRow.created_at.desc())
            .limit(1)
        ),
    )


async def latest_conversation(session: AsyncSession, channel: Channel, sender: str) -> Conversation | None:
    """The sender's newest conversation on the channel, whatever its state."""
    row = await _latest_row(session, channel, sender)
    return (await _records(session, [row]))[0] if row else None


async def latest_to_change(session: AsyncSession, channel: Channel, sender: str) -> Conversation | None:
    """The sender's newest conversation on the channel as a bare record (`to_change`)."""
    row = await _latest_row(session, channel, sender)
    return _bare(row) if row else None


async def create_conversation(
    session: AsyncSession, contact_id: str, channel: Channel, sender: str, state: ConversationState, now: datetime
) -> Conversation:
    row = ConversationRow(
        id=new_id(),
        contact_id=contact_id,
        channel=channel.value,
        sender=sender,
        state=state.value,
        priority=0,
        bot_failures=0,
        abandoned=False,
        created_at=now,
        last_message_at=now,
    )
    session.add(row)
    _held(session, row)
    await session.flush()
    return _bare(row)


async def save(session: AsyncSession, conversation: Conversation) -> None:
    """Write the conversation's changeable fields (state, queue, agent, language, …)."""
    row = await session.get(ConversationRow, conversation.id)
    if row is None:
        raise LookupError(f"conversation {conversation.id} does not exist")
    write_conversation(row, conversation)
    await session.flush()


async def queue_position(session: AsyncSession, conversation: Conversation) -> int | None:
    """1 for the next conversation the queue serves; None when not waiting."""
    if not conversation.state.waiting or conversation.queued_at is None:
        return None
    if conversation.state is ConversationState.OFFERED:
        return 1
    return await _position(session, conversation.id, conversation.queue, conversation.priority, conversation.queued_at)


async def _position(
    session: AsyncSession, conversation_id: str, queue: str | None, priority: int, queued_at: datetime
) -> int:
    ahead = await session.scalar(
        select(func.count())
        .select_from(ConversationRow)
        .where(
            ConversationRow.queue == queue,
            ConversationRow.state == ConversationState.QUEUED.value,
            ConversationRow.id != conversation_id,
            or_(
                ConversationRow.priority > priority,
                and_(ConversationRow.priority == priority, ConversationRow.queued_at < queued_at),
            ),
        )
    )
    return int(ahead or 0) + 1


async def _row_position(session: AsyncSession, row: ConversationRow) -> int | None:
    if row.state not in WAITING_STATES or row.queued_at is None:
        return None
    if row.state == ConversationState.OFFERED.value:
        return 1
    return await _position(session, row.id, row.queue, row.priority, row.queued_at)


async def agent_usernames(session: AsyncSession, agent_ids: set[str]) -> dict[str, str]:
    if not agent_ids:
        return {}
    rows = await session.execute(select(AgentRow.id, AgentRow.username).where(AgentRow.id.in_(agent_ids)))
    return {agent_id: username for agent_id, username in rows}


async def _records(
    session: AsyncSession, rows: Sequence[ConversationRow], last: Message | None = None
) -> list[Conversation]:
    """Full records for rows, with contact, agent, queue position and last message.

    `last` saves a query when the caller has just added the last message of a single row.
    """
    usernames = await agent_usernames(session, {r.assigned_agent_id for r in rows if r.assigned_agent_id})
    protection = await _protection_marks(session, [r.id for r in rows])
    contacts: dict[str, Contact] = {}
    records = []
    for row in rows:
        if row.contact_id not in contacts:
            contacts[row.contact_id] = await contact(session, row.contact_id)
        if last is not None and last.conversation_id == row.id:
            latest = _summary(last.author.value, last.text, last.created_at)
        else:
            found = await session.scalar(
                select(MessageRow).where(MessageRow.conversation_id == row.id).order_by(MessageRow.id.desc()).limit(1)
            )
            latest = _summary(found.author, found.text, found.created_at) if found else None
        records.append(
            conversation_record(
                row,
                contacts[row.contact_id],
                usernames.get(row.assigned_agent_id or ""),
                await _row_position(session, row),
                latest,
                *protection.get(row.id, (0, False)),
            )
        )
    return records


_ABUSE_MARKS = (EventType.ABUSE_DETECTED.value, EventType.FLAGGED.value)


async def _protection_marks(session: AsyncSession, conversation_ids: list[str]) -> dict[str, tuple[int, bool]]:
    """Per conversation: the protection protocol's warnings so far, and whether abuse was
    detected or flagged in it (one query for all)."""
    if not conversation_ids:
        return {}
    rows = await session.execute(
        select(EventRow.conversation_id, EventRow.type, func.count())
        .where(
            EventRow.conversation_id.in_(conversation_ids),
            EventRow.type.in_((EventType.WARNED.value, *_ABUSE_MARKS)),
        )
        .group_by(EventRow.conversation_id, EventRow.type)
    )
    marks: dict[str, tuple[int, bool]] = {}
    for conversation_id, kind, count in rows:
        warnings, abuse = marks.get(conversation_id, (0, False))
        if kind == EventType.WARNED.value:
            warnings = int(count)
        else:
            abuse = True
        marks[conversation_id] = (warnings, abuse)
    return marks


def _summary(author: str, text: str, created_at: datetime) -> dict[str, Any]:
    # Masked before it is cut, so that no part of a personal number shows in the lists.
    return {"author": author, "text": mask(text)[:140], "created_at": created_at.isoformat()}


async def conversations_by_id(session: AsyncSession, ids: Iterable[str]) -> list[Conversation]:
    wanted = set(ids)
    if not wanted:
        return []
    rows = list(await session.scalars(select(ConversationRow).where(ConversationRow.id.in_(wanted))))
    return await _records(session, rows)


async def list_conversations(
    session: AsyncSession,
    states: tuple[str, ...] = (),
    queues: tuple[str, ...] = (),
    agent_id: str | None = None,
    limit: int = 200,
) -> list[Conversation]:
    """Higher priority first, then the longest waiting, then the oldest."""
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
    return await _records(session, list(await session.scalars(query)))


async def waiting(session: AsyncSession) -> list[Conversation]:
    """Queued conversations in the order they are served (higher priority, then the longest
    waiting), as bare records: no contact details, position or last message, which the
    dispatcher does not need and would cost three queries each. Locked like `to_change`, since
    the dispatcher changes them; one another change holds now is left for the next round
    (PostgreSQL: an agent taking it from the queue meanwhile is not overwritten by an offer)."""
    rows = await session.scalars(
        select(ConversationRow)
        .where(ConversationRow.state == ConversationState.QUEUED.value)
        .order_by(ConversationRow.priority.desc(), ConversationRow.queued_at.asc())
        .with_for_update(skip_locked=True)
    )
    return [_bare(row) for row in rows]


async def offered(session: AsyncSession) -> list[Conversation]:
    """Conversations offered to an agent, as bare records locked like `to_change`, skipping one
    another change holds (an agent accepting it now): the router says which offers have lapsed."""
    rows = await session.scalars(
        select(ConversationRow)
        .where(ConversationRow.state == ConversationState.OFFERED.value)
        .with_for_update(skip_locked=True)
    )
    return [_bare(row) for row in rows]


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
    return [(record, await messages(session, record.id)) for record in await _records(session, rows)]


async def of_contact(session: AsyncSession, contact_id: str) -> list[Conversation]:
    """The contact's conversations as bare records (state, queue, agent), for access checks."""
    rows = await session.scalars(select(ConversationRow).where(ConversationRow.contact_id == contact_id))
    return [_bare(row) for row in rows]


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


# -- events -----------------------------------------------------------------------------


def add_event(
    session: AsyncSession, conversation_id: str, type_: EventType, actor: str, at: datetime, **data: Any
) -> None:
    session.add(EventRow(conversation_id=conversation_id, type=type_.value, actor=actor, at=at, data=data))


async def events(session: AsyncSession, conversation_id: str) -> list[Event]:
    rows = await session.scalars(
        select(EventRow).where(EventRow.conversation_id == conversation_id).order_by(EventRow.id)
    )
    return [event_record(row) for row in rows]


async def declined_by(
    session: AsyncSession, conversation_ids: Iterable[str], since: datetime
) -> dict[str, frozenset[str]]:
    """Per conversation, the agents (ids) who declined it since `since`."""
    wanted = set(conversation_ids)
    if not wanted:
        return {}
    rows = await session.scalars(
        select(EventRow).where(
            EventRow.conversation_id.in_(wanted), EventRow.type == EventType.DECLINED.value, EventRow.at >= since
        )
    )
    found: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        found[row.conversation_id].add(str((row.data or {}).get("agent_id")))
    return {conversation_id: frozenset(agents) for conversation_id, agents in found.items()}


# -- messages ---------------------------------------------------------------------------


async def add_message(
    session: AsyncSession,
    conversation: Conversation,
    direction: Direction,
    author: Author,
    text: str,
    now: datetime,
    *,
    language: str | None = None,
    status: MessageStatus,
    provider_message_id: str | None = None,
    agent_id: str | None = None,
    in_reply_to: str | None = None,
    actions: Sequence[QuickReply] = (),
    attachments: Sequence[Attachment] = (),
    translation: str | None = None,
    translation_status: str | None = None,
    abuse: Sequence[str] = (),
) -> Message:
    """A message on the conversation; an outbound one waits as `queued` for the outbox;
    `abuse`: the categories found in a citizen's message."""
    row = MessageRow(
        conversation_id=conversation.id,
        channel=conversation.channel.value,
        sender=conversation.sender,
        provider_message_id=provider_message_id,
        direction=direction.value,
        author=author.value,
        agent_id=agent_id,
        text=text,
        language=language,
        status=status.value,
        in_reply_to=int(in_reply_to) if in_reply_to else None,
        actions=[action.to_json() for action in actions],
        attachments=[attachment.to_json() for attachment in attachments],
        translation=translation,
        translation_status=translation_status,
        created_at=now,
        abuse=sorted(abuse) or None,
    )
    session.add(row)
    owner = await session.get(ConversationRow, conversation.id)
    if owner is not None:
        owner.last_message_at = now
    await session.flush()
    return (await _message_records(session, [row]))[0]


async def _message_records(session: AsyncSession, rows: Sequence[MessageRow]) -> list[Message]:
    usernames = await agent_usernames(session, {r.agent_id for r in rows if r.agent_id})
    return [message_record(row, usernames.get(row.agent_id or "")) for row in rows]


async def find_inbound(
    session: AsyncSession, channel: Channel, sender: str, provider_message_id: str
) -> Message | None:
    """The citizen's message stored under the provider's id, if it came before."""
    row = await session.scalar(
        select(MessageRow).where(
            MessageRow.channel == channel.value,
            MessageRow.sender == sender,
            MessageRow.provider_message_id == provider_message_id,
        )
    )
    return (await _message_records(session, [row]))[0] if row else None


async def replies_to(session: AsyncSession, message_id: str) -> list[Message]:
    rows = await session.scalars(
        select(MessageRow).where(MessageRow.in_reply_to == int(message_id)).order_by(MessageRow.id)
    )
    return await _message_records(session, list(rows))


async def messages_by_id(session: AsyncSession, ids: Iterable[str]) -> list[Message]:
    rows = await session.scalars(
        select(MessageRow).where(MessageRow.id.in_({int(i) for i in ids})).order_by(MessageRow.id)
    )
    return await _message_records(session, list(rows))


async def messages(session: AsyncSession, conversation_id: str) -> list[Message]:
    rows = await session.scalars(
        select(MessageRow).where(MessageRow.conversation_id == conversation_id).order_by(MessageRow.id)
    )
    return await _message_records(session, list(rows))


async def messages_for_sender(
    session: AsyncSession, channel: Channel, sender: str, after: int | None, limit: int = 500
) -> list[Message]:
    query = select(MessageRow).where(MessageRow.channel == channel.value, MessageRow.sender == sender)
    if after is not None:
        query = query.where(MessageRow.id > after)
    rows = await session.scalars(query.order_by(MessageRow.id).limit(limit))
    return await _message_records(session, list(rows))


async def with_conversations(session: AsyncSession, found: Sequence[Message]) -> list[tuple[Conversation, Message]]:
    """Each message beside its conversation as it is now (for the bus)."""
    records = {c.id: c for c in await conversations_by_id(session, {m.conversation_id for m in found})}
    return [(records[message.conversation_id], message) for message in found]


async def changed_messages(session: AsyncSession, ids: Iterable[str]) -> list[tuple[Conversation, Message]]:
    """Messages just changed (status, translation) beside their conversations, for the bus."""
    await session.flush()
    return await with_conversations(session, await messages_by_id(session, ids))


async def set_translation(session: AsyncSession, message_id: str, translation: str | None, status: str) -> None:
    row = await session.get(MessageRow, int(message_id))
    if row is not None:
        row.translation, row.translation_status = translation, status
        await session.flush()


async def untranslated(session: AsyncSession, agent_language: str, limit: int = 500) -> list[Message]:
    """Citizens' messages not in the agents' language, on open conversations, with no
    translation tried yet (oldest first)."""
    rows = await session.scalars(
        select(MessageRow)
        .join(ConversationRow, ConversationRow.id == MessageRow.conversation_id)
        .where(
            ConversationRow.state != ConversationState.RESOLVED.value,
            MessageRow.direction == Direction.IN.value,
            MessageRow.translation_status.is_(None),
            MessageRow.language != agent_language,
        )
        .order_by(MessageRow.id)
        .limit(limit)
    )
    return await _message_records(session, list(rows))


# -- the outbox's side ------------------------------------------------------------------


async def due_outbound(session: AsyncSession, now: datetime, limit: int = 1000) -> list[tuple[Conversation, Message]]:
    """The oldest queued outbound message of each conversation, when its next try is due."""
    rows = list(
        await session.scalars(
            select(MessageRow)
            .where(MessageRow.direction == Direction.OUT.value, MessageRow.status == MessageStatus.QUEUED.value)
            .order_by(MessageRow.id)
            .limit(limit)
        )
    )
    heads: dict[str, MessageRow] = {}
    for row in rows:
        heads.setdefault(row.conversation_id, row)
    due = [row for row in heads.values() if row.next_attempt_at is None or row.next_attempt_at <= now]
    if not due:
        return []
    return await with_conversations(session, await _message_records(session, due))


@dataclass(frozen=True)
class DeliveryAttempt:
    """One delivery attempt's outcome: the status it leaves the message in, and why it failed."""

    message_id: str
    status: MessageStatus
    error: str | None = None
    provider_message_id: str | None = None
    next_attempt_at: datetime | None = None


async def record_attempts(session: AsyncSession, attempts: Sequence[DeliveryAttempt]) -> list[Message]:
    """Count each attempt on its message and leave the message as the attempt did."""
    ids = [int(attempt.message_id) for attempt in attempts]
    rows = {row.id: row for row in await session.scalars(select(MessageRow).where(MessageRow.id.in_(ids)))}
    for attempt in attempts:
        row = rows[int(attempt.message_id)]
        row.attempts += 1
        row.status = attempt.status.value
        row.error = attempt.error
        row.provider_message_id = attempt.provider_message_id or row.provider_message_id
        row.next_attempt_at = attempt.next_attempt_at
    await session.flush()
    return await _message_records(session, list(rows.values()))


async def outbound_by_provider_id(session: AsyncSession, channel: Channel, provider_message_id: str) -> Message | None:
    row = await session.scalar(
        select(MessageRow).where(
            MessageRow.channel == channel.value,
            MessageRow.direction == Direction.OUT.value,
            MessageRow.provider_message_id == provider_message_id,
        )
    )
    return (await _message_records(session, [row]))[0] if row else None


async def set_status(
    session: AsyncSession, message_ids: Iterable[str], status: MessageStatus, error: str | None
) -> None:
    for message_id in message_ids:
        row = await session.get(MessageRow, int(message_id))
        if row is not None:
            row.status, row.error = status.value, error
    await session.flush()


async def held_for(session: AsyncSession, channel: Channel, sender: str) -> list[Message]:
    """Outbound messages kept for the citizen's next contact, oldest first."""
    rows = await session.scalars(
        select(MessageRow)
        .where(
            MessageRow.channel == channel.value,
            MessageRow.sender == sender,
            MessageRow.status == MessageStatus.HELD.value,
        )
        .order_by(MessageRow.id)
    )
    return await _message_records(session, list(rows))
