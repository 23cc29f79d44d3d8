"""The rounds (contacts) of a period, read from the stored events: the one source of every
report figure (docs/reports.md).

A month holds hundreds of thousands of conversations and millions of events, so the events
are read as narrow rows (type, actor, time and the one value of their data a round needs,
extracted by the database) for a few thousand conversations at a time, in the order they
were stored, and turned into rounds by `model.rounds.rounds_from_steps`, the same code that
reads whole `Event`s.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from operator import itemgetter

from sqlalchemy import ColumnElement, case, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from model.rounds import ROUND_EVENTS, VALUE_KEYS, Round, Step, rounds_from_steps
from model.vocabulary import EventType
from store.tables import ConversationRow, EventRow

CONVERSATIONS_PER_READ = 2_000
"""Conversations whose events are read in one query: few round trips, bounded memory."""


@dataclass(frozen=True)
class RoundFilter:
    """Which rounds a report counts; every field left None admits all."""

    channel: str | None = None
    language: str | None = None
    category: str | None = None
    queue: str | None = None
    agents: frozenset[str] | None = None
    """Usernames (an agent, or a team's agents): a round counts when one of them accepted or resolved it."""

    def admits(self, r: Round) -> bool:
        """Whether the round passes every field that is set."""
        return (
            (self.language is None or r.language == self.language)
            and (self.category is None or r.category == self.category)
            and (self.queue is None or r.queue == self.queue)
            and (self.agents is None or r.agent in self.agents or not self.agents.isdisjoint(r.agents))
        )


async def rounds_between(
    session: AsyncSession, start: datetime, end: datetime, where: RoundFilter | None = None
) -> list[Round]:
    """The rounds opened in [start, end) (a creation or a reopen in it), ordered by opening."""
    where = where or RoundFilter()
    found = [r async for r in _rounds(session, start, end, where.channel) if start <= r.opened_at < end]
    found = [r for r in found if where.admits(r)]
    found.sort(key=lambda r: r.opened_at)
    return found


async def _rounds(session: AsyncSession, start: datetime, end: datetime, channel: str | None) -> AsyncIterator[Round]:
    conversations = await _conversations_opened(session, start, end, channel)
    for first in range(0, len(conversations), CONVERSATIONS_PER_READ):
        chunk = dict(conversations[first : first + CONVERSATIONS_PER_READ])
        rows = await session.execute(
            select(EventRow.conversation_id, EventRow.type, EventRow.actor, EventRow.at, _VALUE)
            .where(EventRow.conversation_id.in_(chunk), EventRow.type.in_(ROUND_EVENTS))
            .order_by(EventRow.conversation_id, EventRow.id)
        )
        for conversation_id, steps in groupby(rows, key=itemgetter(0)):
            for r in rounds_from_steps(conversation_id, chunk[conversation_id], map(_step, steps)):
                yield r


async def _conversations_opened(
    session: AsyncSession, start: datetime, end: datetime, channel: str | None
) -> Sequence[tuple[str, str]]:
    """(id, contact id) of the conversations created in the range or reopened in it."""
    reopened = select(EventRow.conversation_id).where(
        EventRow.type == EventType.REOPENED.value, EventRow.at >= start, EventRow.at < end
    )
    created = select(ConversationRow.id).where(ConversationRow.created_at >= start, ConversationRow.created_at < end)
    ids = union(created, reopened).subquery()
    query = select(ConversationRow.id, ConversationRow.contact_id).join(ids, ids.c[0] == ConversationRow.id)
    if channel is not None:
        query = query.where(ConversationRow.channel == channel)
    return [(conversation_id, contact_id) for conversation_id, contact_id in await session.execute(query)]


def _value_column() -> ColumnElement[str]:
    """The database extracts each event's one value (`VALUE_KEYS`), so no row's JSON is parsed here."""
    return case(
        *((EventRow.type == kind, EventRow.data[key].as_string()) for kind, key in VALUE_KEYS.items()),
        else_=None,
    ).label("value")


_VALUE = _value_column()


def _step(row: tuple[str, str, str, datetime, str | None]) -> Step:
    _, kind, actor, at, value = row
    # A month repeats a few dozen distinct values (channels, queues, usernames) a million times.
    return kind, actor, at, sys.intern(value) if isinstance(value, str) else value
