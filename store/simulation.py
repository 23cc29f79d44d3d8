"""Back-dating simulated traffic: a conversation played through the hub now is moved onto the
past timeline it was drawn for (`dasan simulate`).

The hub stamps every row with the time it wrote it. The simulator notes, before each step it
plays, the real time and the simulated time that step stands for (a `Moment`); every stamp
of the conversation's rows is then moved from the real timeline onto the simulated one, step
by step, so that the waits, handle times and orders the reports read are the drawn ones.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from model import Direction, MessageStatus
from store.tables import ContactRow, ConversationRow, EventRow, MessageRow, QuestionRow

_CONVERSATION_TIMES = (
    "created_at",
    "queued_at",
    "offer_expires_at",
    "answered_at",
    "first_response_at",
    "resolved_at",
    "last_message_at",
)
_STEP_ROOM = timedelta(milliseconds=1)
"""What separates a step's last stamp from the next step's first."""


@dataclass(frozen=True)
class Moment:
    """A step of a simulated conversation: when the hub played it, and when it is to have happened."""

    real: datetime
    simulated: datetime


class Timeline:
    """Moves stamps from the real timeline onto the simulated one. A stamp belongs to the last
    step that began before it and keeps its distance from that step's start, short of the
    next step; the order of stamps is kept."""

    def __init__(self, moments: Sequence[Moment]) -> None:
        if not moments:
            raise ValueError("a timeline needs at least one moment")
        ordered = sorted(moments, key=lambda m: m.real)
        if any(b.simulated < a.simulated for a, b in zip(ordered, ordered[1:], strict=False)):
            raise ValueError("simulated moments must follow the order the steps were played in")
        self._moments = ordered
        self._reals = [m.real for m in ordered]

    def moved(self, stamp: datetime) -> datetime:
        """Where `stamp` (a real time) lies on the simulated timeline."""
        index = max(bisect_right(self._reals, stamp) - 1, 0)
        step = self._moments[index]
        moved = step.simulated + max(stamp - step.real, timedelta(0))
        if index + 1 < len(self._moments):
            moved = min(moved, max(self._moments[index + 1].simulated - _STEP_ROOM, step.simulated))
        return moved

    @property
    def end(self) -> datetime:
        """The last step's simulated time."""
        return self._moments[-1].simulated


@dataclass(frozen=True)
class Backdated:
    """What `backdate` moved of one conversation."""

    messages: int
    events: int


async def backdate(session: AsyncSession, conversation_id: str, timeline: Timeline) -> Backdated:
    """Move every stamp of a conversation onto `timeline`: the conversation's times, its
    messages, its events (kept in the order they were stored), the questions it left for
    editors, and its contact's creation when the contact began with it. Replies still waiting
    for the outbox are marked delivered: they belong to the past and must never go out now."""
    conversation = await session.get(ConversationRow, conversation_id, with_for_update=True)
    if conversation is None:
        raise LookupError(f"no conversation {conversation_id}")
    for column in _CONVERSATION_TIMES:
        if (stamp := getattr(conversation, column)) is not None:
            setattr(conversation, column, timeline.moved(stamp))
    messages = list(
        await session.scalars(
            select(MessageRow).where(MessageRow.conversation_id == conversation_id).order_by(MessageRow.id)
        )
    )
    for message in messages:
        message.created_at = timeline.moved(message.created_at)
        if message.direction == Direction.OUT.value and message.status == MessageStatus.QUEUED.value:
            message.status = MessageStatus.DELIVERED.value
            message.attempts = max(message.attempts or 0, 1)
        message.next_attempt_at = None
    events = list(
        await session.scalars(select(EventRow).where(EventRow.conversation_id == conversation_id).order_by(EventRow.id))
    )
    latest: datetime | None = None
    for event in events:
        # Two writers (the router's offer, an agent's claim) may stamp out of their stored
        # order by a few milliseconds; the stored order is the one that counts.
        at = timeline.moved(event.at)
        latest = at if latest is None else max(latest, at)
        event.at = latest
    for question in await session.scalars(select(QuestionRow).where(QuestionRow.conversation_id == conversation_id)):
        question.created_at = timeline.moved(question.created_at)
    contact = await session.get(ContactRow, conversation.contact_id)
    if contact is not None and contact.created_at > conversation.created_at:
        contact.created_at = conversation.created_at
    await session.flush()
    return Backdated(messages=len(messages), events=len(events))
