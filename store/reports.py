"""The rounds (contacts) of a period, read from the stored events: the one source of every
report figure (docs/reports.md).

A month holds hundreds of thousands of conversations and millions of events. For each slice
of the period the database writes its conversations as one text, each with its events in the
order they were stored (type, actor, time and the one value of its data a round reads,
`model.rounds.VALUE_KEYS`), and `model.rounds.rounds_from_steps` turns each conversation into
rounds: the rounds are built by the same code that reads whole `Event`s. Two connections
write the next slices while this one is read (bench/report.py measures a month).
"""

from __future__ import annotations

import asyncio
import sys
from collections import deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import TextClause, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from model.rounds import ROUND_EVENTS, VALUE_KEYS, Round, Step, rounds_from_steps
from model.vocabulary import EventType
from store.tables import UtcDateTime

SLICE = timedelta(hours=6)
"""A period is read six hours of conversations at a time, as one text per slice: the database
writes the next slices (SQLite without holding Python's lock, PostgreSQL in its own
processes) while this one's rounds are built, and memory holds three slices' text."""

BUILT_BETWEEN_YIELDS = 1_000
"""Conversations built between two turns of the event loop, which meanwhile receives the next
slices' text (PostgreSQL sends it as the server writes it)."""

_FIELD, _STEP, _PART, _CONVERSATION = "\x1f", "\x1e", "\x1c", "\x1d"
"""ASCII's separators (unit, record, file, group): no id, type, actor, time or value holds them.
A conversation is its id, contact and steps; a step its type, actor, time and value."""


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
            (self.channel is None or r.channel == self.channel)
            and (self.language is None or r.language == self.language)
            and (self.category is None or r.category == self.category)
            and (self.queue is None or r.queue == self.queue)
            and (self.agents is None or r.agent in self.agents or not self.agents.isdisjoint(r.agents))
        )


async def rounds_between(
    session: AsyncSession, start: datetime, end: datetime, where: RoundFilter | None = None
) -> list[Round]:
    """The rounds opened in [start, end) (a creation or a reopen in it), ordered by opening."""
    where = where or RoundFilter()
    found = [r async for r in _rounds(session, start, end) if where.admits(r)]
    found.sort(key=lambda r: r.opened_at)
    return found


async def _rounds(session: AsyncSession, start: datetime, end: datetime) -> AsyncIterator[Round]:
    reads = [(True, {"start": a, "end": min(a + SLICE, end)}) for a in _slice_starts(start, end)]
    reads.append((False, {"start": start, "end": end}))
    # Two connections write the next two slices while this one's rounds are built: the
    # database's work runs beside Python's, on as many cores.
    async with AsyncSession(session.bind) as second, second.begin():
        readers = (session, second)
        for reader in readers:
            await _prepare(reader)
        pending = deque(asyncio.create_task(_fetch(readers[i % 2], *read)) for i, read in enumerate(reads[:2]))
        try:
            for number in range(len(reads)):
                written = await pending.popleft()
                if number + 2 < len(reads):
                    pending.append(asyncio.create_task(_fetch(readers[number % 2], *reads[number + 2])))
                for built, conversation in enumerate(written.split(_CONVERSATION) if written else (), 1):
                    conversation_id, contact_id, line = conversation.split(_PART)
                    for r in rounds_from_steps(conversation_id, contact_id, _steps(line)):
                        if start <= r.opened_at < end:
                            yield r
                    if built % BUILT_BETWEEN_YIELDS == 0:
                        await asyncio.sleep(0)
        finally:
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)


async def _prepare(session: AsyncSession) -> None:
    if session.bind.dialect.name == "postgresql":
        # Compiling each slice's query to machine code costs more than the query saves.
        await session.execute(text("SET LOCAL jit = off"))


def _slice_starts(start: datetime, end: datetime) -> Iterator[datetime]:
    while start < end:
        yield start
        start += SLICE


async def _fetch(session: AsyncSession, created: bool, bounds: dict[str, datetime]) -> str | None:
    """The conversations created in the bounds (or, not `created`, reopened in them) as one text."""
    created_in, reopened_in = _QUERIES[session.bind.dialect.name]
    return await session.scalar(created_in if created else reopened_in, bounds)


def _steps(line: str) -> Iterator[Step]:
    for step in line.split(_STEP) if line else ():
        kind, actor, at, value = step.split(_FIELD)
        # A month repeats a few dozen distinct values (channels, queues, usernames) a million times.
        yield kind, actor, datetime.fromisoformat(at), sys.intern(value) if value else None


def _queries(json_value: str, utc_text: str, ordered_concat: str, concat: str) -> tuple[TextClause, TextClause]:
    """The conversations created in a range, and those created before it and reopened in it,
    written as one text, each conversation with its events in order. The dialect-specific
    pieces: a JSON value as text, a time as UTC text, a concatenation in event order and one
    in any order."""
    value = " ".join(f"WHEN '{kind}' THEN {json_value.format(key=key)}" for kind, key in VALUE_KEYS.items())
    types = ", ".join(f"'{kind}'" for kind in sorted(ROUND_EVENTS))
    step = f"e.type || '{_FIELD}' || e.actor || '{_FIELD}' || {utc_text} || '{_FIELD}' || coalesce(CASE e.type {value} END, '')"
    line = ordered_concat.format(
        step=step, separator=f"'{_STEP}'", where=f"e.conversation_id = c.id AND e.type IN ({types})"
    )
    conversation = f"c.id || '{_PART}' || c.contact_id || '{_PART}' || coalesce(({line}), '')"
    written = concat.format(conversation=conversation, separator=f"'{_CONVERSATION}'")
    created = f"""
        SELECT {written} FROM conversations c
        WHERE c.created_at >= :start AND c.created_at < :end
    """
    reopened = f"""
        SELECT {written} FROM conversations c
        WHERE c.created_at < :start AND c.id IN (
            SELECT r.conversation_id FROM events r
            WHERE r.type = '{EventType.REOPENED.value}' AND r.at >= :start AND r.at < :end)
    """
    bounds = bindparam("start", type_=UtcDateTime()), bindparam("end", type_=UtcDateTime())
    return text(created).bindparams(*bounds), text(reopened).bindparams(*bounds)


_QUERIES = {
    "sqlite": _queries(
        json_value="json_extract(e.data, '$.{key}')",
        utc_text="e.at || '+00:00'",  # stored as UTC text without its zone
        ordered_concat="SELECT group_concat(step, {separator}) FROM (SELECT {step} AS step FROM events e WHERE {where} ORDER BY e.id)",
        concat="group_concat({conversation}, {separator})",
    ),
    "postgresql": _queries(
        json_value="(e.data ->> '{key}')",
        utc_text="((e.at AT TIME ZONE 'UTC')::text || '+00:00')",
        ordered_concat="SELECT string_agg({step}, {separator} ORDER BY e.id) FROM events e WHERE {where}",
        concat="string_agg({conversation}, {separator})",
    ),
}
