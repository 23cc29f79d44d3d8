"""The protection protocol's records: contact blocks, and the abuse incidents of a period.

Every function takes the session of one `Store.read()` or `Store.write()` block and returns
plain records; rows never leave this package.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from model import Direction, Event, EventType, iso
from model.rounds import ABUSE_STEPS
from store.mapping import event_record
from store.tables import AgentRow, ContactBlockRow, ConversationRow, EventRow, MessageRow


@dataclass(frozen=True)
class ContactBlock:
    """A contact who may not reach the bot or an agent until `until`, unless lifted before."""

    id: int
    contact_id: str
    conversation_id: str | None
    until: datetime
    reason: str
    actor: str
    created_at: datetime
    lifted_at: datetime | None = None
    lifted_by: str | None = None

    def active_at(self, moment: datetime) -> bool:
        return self.lifted_at is None and moment < self.until

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "contact_id": self.contact_id,
            "conversation_id": self.conversation_id,
            "until": iso(self.until),
            "reason": self.reason,
            "actor": self.actor,
            "created_at": iso(self.created_at),
            "lifted_at": iso(self.lifted_at),
            "lifted_by": self.lifted_by,
        }


@dataclass(frozen=True)
class Incident:
    """One conversation's abuse steps in a period: what was detected, and who did what about it."""

    conversation_id: str
    contact_id: str
    channel: str
    language: str | None
    agent: str | None
    """The agent who held the conversation (its last assigned agent), when one did."""
    categories: tuple[str, ...]
    """The abuse categories detected in its messages, sorted."""
    steps: tuple[Event, ...]

    @property
    def at(self) -> datetime:
        return self.steps[0].at

    def to_json(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "contact_id": self.contact_id,
            "channel": self.channel,
            "language": self.language,
            "agent": self.agent,
            "at": iso(self.at),
            "categories": list(self.categories),
            "steps": [step.to_json() for step in self.steps],
        }


def _block(row: ContactBlockRow) -> ContactBlock:
    return ContactBlock(
        row.id, row.contact_id, row.conversation_id, row.until, row.reason, row.actor, row.created_at,
        row.lifted_at, row.lifted_by,
    )  # fmt: skip


async def add_block(
    session: AsyncSession,
    contact_id: str,
    conversation_id: str | None,
    until: datetime,
    reason: str,
    actor: str,
    now: datetime,
) -> ContactBlock:
    row = ContactBlockRow(
        contact_id=contact_id, conversation_id=conversation_id, until=until, reason=reason, actor=actor, created_at=now
    )
    session.add(row)
    await session.flush()
    return _block(row)


async def active_block(session: AsyncSession, contact_id: str, now: datetime) -> ContactBlock | None:
    """The contact's block in force now (the one that ends last), if any."""
    row = await session.scalar(
        select(ContactBlockRow)
        .where(
            ContactBlockRow.contact_id == contact_id,
            ContactBlockRow.lifted_at.is_(None),
            ContactBlockRow.until > now,
        )
        .order_by(ContactBlockRow.until.desc())
        .limit(1)
    )
    return _block(row) if row else None


async def blocks(session: AsyncSession, now: datetime, active_only: bool, limit: int = 500) -> list[ContactBlock]:
    """The newest blocks first; `active_only`: those in force now."""
    query = select(ContactBlockRow).order_by(ContactBlockRow.id.desc()).limit(limit)
    if active_only:
        query = query.where(ContactBlockRow.lifted_at.is_(None), ContactBlockRow.until > now)
    return [_block(row) for row in await session.scalars(query)]


async def lift(session: AsyncSession, block_id: int, actor: str, now: datetime) -> ContactBlock | None:
    """Lift the block (locked until the commit, so two supervisors lift it once); None when
    there is no such block. A block already lifted or run out is returned unchanged."""
    row = await session.scalar(select(ContactBlockRow).where(ContactBlockRow.id == block_id).with_for_update())
    if row is None:
        return None
    if row.lifted_at is None and now < row.until:
        row.lifted_at, row.lifted_by = now, actor
        await session.flush()
    return _block(row)


async def warnings(session: AsyncSession, conversation_id: str) -> int:
    """How many standard warnings the conversation's citizen has had."""
    found = await session.scalar(
        select(func.count())
        .select_from(EventRow)
        .where(EventRow.conversation_id == conversation_id, EventRow.type == EventType.WARNED.value)
    )
    return int(found or 0)


async def notice_sent_since(session: AsyncSession, conversation_id: str, text: str, since: datetime) -> bool:
    """Whether the conversation sent the citizen exactly `text` since `since`."""
    found = await session.scalar(
        select(func.count())
        .select_from(MessageRow)
        .where(
            MessageRow.conversation_id == conversation_id,
            MessageRow.direction == Direction.OUT.value,
            MessageRow.created_at >= since,
            MessageRow.text == text,
        )
    )
    return bool(found)


async def incidents(session: AsyncSession, start: datetime, end: datetime) -> list[Incident]:
    """One incident per conversation with any abuse step in [start, end), the earliest first,
    with its steps of the period in order."""
    rows = await session.scalars(
        select(EventRow)
        .where(EventRow.type.in_(sorted(ABUSE_STEPS)), EventRow.at >= start, EventRow.at < end)
        .order_by(EventRow.id)
    )
    steps: dict[str, list[Event]] = defaultdict(list)
    for row in rows:
        steps[row.conversation_id].append(event_record(row))
    if not steps:
        return []
    conversations = await session.execute(
        select(ConversationRow, AgentRow.username)
        .outerjoin(AgentRow, AgentRow.id == ConversationRow.assigned_agent_id)
        .where(ConversationRow.id.in_(list(steps)))
    )
    found = []
    for conversation, agent in conversations:
        trail = steps[conversation.id]
        categories = {
            str(category)
            for step in trail
            if step.type == EventType.ABUSE_DETECTED.value
            for category in step.data.get("categories") or ()
        }
        found.append(
            Incident(
                conversation.id,
                conversation.contact_id,
                conversation.channel,
                conversation.language,
                agent,
                tuple(sorted(categories)),
                tuple(trail),
            )  # fmt: skip
        )
    return sorted(found, key=lambda incident: incident.at)
