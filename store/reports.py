"""The rounds (contacts) of a period, read from the stored events: the one source of every
report figure (docs/reports.md).

A month holds hundreds of thousands of conversations and millions of events. The database
writes each conversation's events, in the order they were stored, as one line of text (type,
actor, time and the one value of its data a round reads, `model.rounds.VALUE_KEYS`), and
`model.rounds.rounds_from_steps` turns the line into rounds: one row per conversation
travels, and the rounds are built by the same code that reads whole `Event`s.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import TextClause, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from model.rounds import ROUND_EVENTS, VALUE_KEYS, Round, Step, rounds_from_steps
from model.vocabulary import EventType
from store.tables import UtcDateTime

ROWS_PER_FETCH = 2_000
"""Conversations fetched at a time from the streamed result: bounded memory, few round trips."""

_FIELD, _STEP = "\x1f", "\x1e"
"""ASCII's unit and record separators: no type, actor, time or value holds them."""


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
    query = _QUERIES[session.bind.dialect.name]
    result = await session.stream(query.execution_options(yield_per=ROWS_PER_FETCH), {"start": start, "end": end})
    async for rows in result.partitions():
        for conversation_id, contact_id, line in rows:
            for r in rounds_from_steps(conversation_id, contact_id, _steps(line or "")):
                if start <= r.opened_at < end:
                    yield r


def _steps(line: str) -> Iterator[Step]:
    for step in line.split(_STEP):
        kind, actor, at, value = step.split(_FIELD)
        # A month repeats a few dozen distinct values (channels, queues, usernames) a million times.
        yield kind, actor, datetime.fromisoformat(at), sys.intern(value) if value else None


def _query(json_value: str, utc_text: str, ordered_concat: str) -> TextClause:
    """The conversations created in the range or reopened in it, each with its events as one
    line. The three dialect-specific pieces: a JSON value as text, a time as UTC text, and a
    concatenation in event order."""
    value = " ".join(f"WHEN '{kind}' THEN {json_value.format(key=key)}" for kind, key in VALUE_KEYS.items())
    types = ", ".join(f"'{kind}'" for kind in sorted(ROUND_EVENTS))
    step = f"e.type || '{_FIELD}' || e.actor || '{_FIELD}' || {utc_text} || '{_FIELD}' || coalesce(CASE e.type {value} END, '')"
    line = ordered_concat.format(
        step=step, separator=f"'{_STEP}'", where=f"e.conversation_id = c.id AND e.type IN ({types})"
    )
    sql = f"""
        SELECT c.id, c.contact_id, ({line}) FROM conversations c
        WHERE c.created_at >= :start AND c.created_at < :end
        UNION ALL
        SELECT c.id, c.contact_id, ({line}) FROM conversations c
        WHERE c.created_at < :start AND c.id IN (
            SELECT r.conversation_id FROM events r
            WHERE r.type = '{EventType.REOPENED.value}' AND r.at >= :start AND r.at < :end)
    """
    return text(sql).bindparams(bindparam("start", type_=UtcDateTime()), bindparam("end", type_=UtcDateTime()))


_QUERIES = {
    "sqlite": _query(
        json_value="json_extract(e.data, '$.{key}')",
        utc_text="e.at || '+00:00'",  # stored as UTC text without its zone
        ordered_concat="SELECT group_concat(step, {separator}) FROM (SELECT {step} AS step FROM events e WHERE {where} ORDER BY e.id)",
    ),
    "postgresql": _query(
        json_value="(e.data ->> '{key}')",
        utc_text="to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US\"+00:00\"')",
        ordered_concat="SELECT string_agg({step}, {separator} ORDER BY e.id) FROM events e WHERE {where}",
    ),
}
