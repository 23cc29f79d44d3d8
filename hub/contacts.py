"""One citizen, many channels: linking channel identities to one contact."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.bus import ConversationChanged, EventBus
from model.clock import utcnow
from model.errors import conflict, invalid, not_found
from model import Agent, Contact, EventType
from store import conversations as store
from store.db import Store
from store.tables import ContactRow, ConversationRow

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


async def link_verified_phone(session: AsyncSession, contact_id: str, phone: str) -> str | None:
    """Record a vouched-for number on the contact; when another contact has it, merge them.

    Returns the id of the contact that remains when a merge happened, else None.
    """
    number = normalise_phone(phone)
    if number is None:
        return None
    contact = await session.get(ContactRow, contact_id)
    assert contact is not None
    if contact.phone == number:
        return None
    other = await session.scalar(select(ContactRow).where(ContactRow.phone == number, ContactRow.id != contact_id))
    if other is None:
        contact.phone = number
        return None
    # The older contact keeps its id: it is the one agents have seen before.
    keep, merged = (other, contact) if other.created_at <= contact.created_at else (contact, other)
    keep.phone = number
    await merge(session, keep.id, merged.id, "router", "the same verified phone number")
    return keep.id


async def merge(session: AsyncSession, keep_id: str, merged_id: str, actor: str, reason: str) -> list[str]:
    """Merge two contacts and say so on every conversation that moved; returns their ids."""
    moved = await store.merge_contacts(session, keep_id, merged_id)
    now = utcnow()
    for conversation_id in moved:
        store.add_event(session, conversation_id, EventType.CONTACT_LINKED, actor, now, contact=keep_id, reason=reason)
    return moved


class ContactLinks:
    """The agent's action: these two contacts are the same citizen."""

    def __init__(self, store_: Store, bus: EventBus) -> None:
        self._store = store_
        self._bus = bus

    async def link(self, agent: Agent, keep_id: str, merged_id: str) -> Contact:
        if keep_id == merged_id:
            raise invalid("A contact cannot be linked to itself.", "same_contact")
        async with self._store.write() as session:
            keep, merged = await session.get(ContactRow, keep_id), await session.get(ContactRow, merged_id)
            if keep is None or merged is None:
                raise not_found("The contact")
            if keep.phone and merged.phone and keep.phone != merged.phone:
                raise conflict("The two contacts have different verified phone numbers.")
            keep.phone = keep.phone or merged.phone
            moved = await merge(session, keep_id, merged_id, f"agent:{agent.username}", "linked by an agent")
            rows = list(await session.scalars(select(ConversationRow).where(ConversationRow.id.in_(moved))))
            records = await store.conversations(session, rows)
            contact = await store.contact(session, keep_id)
        self._bus.publish(*(ConversationChanged(record) for record in records))
        return contact
