"""One citizen, many channels: linking channel identities to one contact."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from hub.bus import ConversationChanged, EventBus
from model import Agent, Contact, Decider, EventType
from model.clock import utcnow
from model.errors import invalid
from store import contacts, conversations
from store.db import Store

_DIGITS = re.compile(r"\D")


def normalise_phone(number: str, country_code: str = "82") -> str | None:
    """E.164 for a phone number as people and providers write it; None if it is not one.

    010-1234-5678 and +82 10 1234 5678 both become +821012345678.
    """
    digits = _DIGITS.sub("", number)
    if number.strip().startswith("+"):
        candidate = digits
    elif digits.startswith("00"):
        candidate = digits[2:]
    elif digits.startswith("0"):
        candidate = country_code + digits[1:]
    else:
        candidate = digits
    return f"+{candidate}" if 8 <= len(candidate) <= 15 else None


def _linked(session: AsyncSession, moved: list[str], keep_id: str, actor: str, reason: str, now: datetime) -> None:
    """Say so on every conversation that moved to the kept contact."""
    for conversation_id in moved:
        conversations.add_event(session, conversation_id, EventType.CONTACT_LINKED, actor, now, contact=keep_id,
                                reason=reason)  # fmt: skip


async def link_verified_phone(session: AsyncSession, contact_id: str, phone: str, now: datetime) -> str | None:
    """Record a vouched-for number on the contact; when another contact has it, merge them.

    Returns the id of the contact that remains when a merge happened, else None.
    """
    number = normalise_phone(phone)
    merged = await contacts.link_phone(session, contact_id, number) if number else None
    if merged is None:
        return None
    keep_id, moved = merged
    _linked(session, moved, keep_id, Decider.ROUTER.value, "the same verified phone number", now)
    return keep_id


class ContactLinks:
    """The agent's action: these two contacts are the same citizen."""

    def __init__(self, store: Store, bus: EventBus) -> None:
        self._store = store
        self._bus = bus

    async def link(self, agent: Agent, keep_id: str, merged_id: str) -> Contact:
        if keep_id == merged_id:
            raise invalid("A contact cannot be linked to itself.", "same_contact")
        async with self._store.write() as session:
            moved = await contacts.link(session, keep_id, merged_id)
            _linked(session, moved, keep_id, f"agent:{agent.username}", "linked by an agent", utcnow())
            records = await conversations.conversations_by_id(session, moved)
            contact = await contacts.contact(session, keep_id)
        self._bus.publish(*(ConversationChanged(record) for record in records))
        return contact
