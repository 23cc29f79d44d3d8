"""Contacts and their channel identities: one citizen, many channels."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from model import Contact
from model.errors import conflict, not_found
from store.mapping import contact_record
from store.tables import ChannelIdentityRow, ContactRow, ConversationRow


async def ensure_contact(
    session: AsyncSession,
    channel: str,
    external_id: str,
    display_name: str,
    now: datetime,
    joins: str | None = None,
) -> str:
    """The id of the contact behind a channel identity, created on first contact; a new
    identity joins the contact `joins` instead when it is given."""
    identity = await session.scalar(
        select(ChannelIdentityRow).where(
            ChannelIdentityRow.channel == channel, ChannelIdentityRow.external_id == external_id
        )
    )
    if identity:
        return identity.contact_id
    if joins is not None and await exists(session, joins):
        session.add(ChannelIdentityRow(contact_id=joins, channel=channel, external_id=external_id))
        await session.flush()
        return joins
    contact_row = ContactRow(id=uuid.uuid4().hex, display_name=display_name, created_at=now)
    session.add(contact_row)
    await session.flush()
    session.add(ChannelIdentityRow(contact_id=contact_row.id, channel=channel, external_id=external_id))
    await session.flush()
    return contact_row.id


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


async def exists(session: AsyncSession, contact_id: str) -> bool:
    return await session.get(ContactRow, contact_id) is not None


async def link_phone(session: AsyncSession, contact_id: str, number: str) -> tuple[str, list[str]] | None:
    """Record a vouched-for number (E.164) on the contact. When another contact has it, the
    two are merged: the older one keeps its id, as agents have seen it before. Returns the
    kept id and the ids of the conversations that moved, when a merge happened."""
    own = await session.get(ContactRow, contact_id)
    assert own is not None
    if own.phone == number:
        return None
    other = await session.scalar(select(ContactRow).where(ContactRow.phone == number, ContactRow.id != contact_id))
    if other is None:
        own.phone = number
        return None
    keep, merged = (other, own) if other.created_at <= own.created_at else (own, other)
    keep.phone = number
    return keep.id, await _merge(session, keep.id, merged.id)


async def link(session: AsyncSession, keep_id: str, merged_id: str) -> list[str]:
    """An agent's word that two contacts are one citizen; returns the moved conversations."""
    keep, merged = await session.get(ContactRow, keep_id), await session.get(ContactRow, merged_id)
    if keep is None or merged is None:
        raise not_found("The contact")
    if keep.phone and merged.phone and keep.phone != merged.phone:
        raise conflict("The two contacts have different verified phone numbers.")
    keep.phone = keep.phone or merged.phone
    return await _merge(session, keep_id, merged_id)


async def _merge(session: AsyncSession, keep_id: str, merged_id: str) -> list[str]:
    """Move the merged contact's identities and conversations to the kept one and delete it."""
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
