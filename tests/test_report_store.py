"""The store reads a period's rounds from the events as narrow rows; they must be exactly the
rounds `model.rounds.rounds_of` builds from the whole events, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import store.reports
from model import EventType
from model.rounds import rounds_of
from store import conversations
from store.db import Store
from store.reports import RoundFilter, rounds_between
from store.tables import ContactRow, ConversationRow

DAY = datetime(2026, 11, 2, tzinfo=timezone.utc)


async def write_conversation(
    db: Store, conversation_id: str, contact_id: str, channel: str, steps: list[tuple[float, str, str, dict[str, Any]]]
) -> None:
    """A conversation and its events, `steps` as (hours after DAY, type, actor, data)."""
    created = DAY + timedelta(hours=steps[0][0])
    async with db.write() as session:
        if await session.get(ContactRow, contact_id) is None:
            session.add(ContactRow(id=contact_id, display_name=contact_id, created_at=created))
        session.add(
            ConversationRow(
                id=conversation_id,
                contact_id=contact_id,
                channel=channel,
                sender=contact_id,
                state="resolved",
                created_at=created,
                last_message_at=DAY + timedelta(hours=steps[-1][0]),
            )
        )
        await session.flush()
        for hours, kind, actor, data in steps:
            conversations.add_event(
                session, conversation_id, EventType(kind), actor, DAY + timedelta(hours=hours), **data
            )


def served(
    start: float, category: str, agent: str, disposition: str, **extra: Any
) -> list[tuple[float, str, str, dict[str, Any]]]:
    """Created at `start` hours, waited in the category's queue, accepted and resolved by `agent`."""
    return [
        (start, "created", "citizen", {"channel": "sms", **extra}),
        (start + 0.01, "language_set", "router", {"language": "ko"}),
        (start + 0.01, "category_set", "router", {"category": category}),
        (start + 0.02, "bot_answered", "bot", {"article": "a1"}),
        (start + 0.03, "handed_off", "router", {"reason": "asked for a person"}),
        (start + 0.03, "queued", "router", {"queue": category, "position": 1}),
        (start + 0.04, "offered", "router", {"agent": agent}),
        (start + 0.05, "accepted", f"agent:{agent}", {"agent": agent}),
        (start + 0.06, "first_response", f"agent:{agent}", {}),
        (start + 0.2, "resolved", f"agent:{agent}", {"disposition": disposition}),
    ]


@pytest.fixture
async def month(store: Store) -> Store:
    # Across the period's start: created the day before, reopened inside it.
    before = served(-20, "water", "kim", "callback") + [
        (2, "reopened", "citizen", {}),
        (2.1, "queued", "router", {"queue": "water", "position": 1}),
        (2.2, "accepted", "agent:lee", {"agent": "lee"}),
        (2.5, "resolved", "agent:lee", {"disposition": "resolved"}),
        (2.6, "survey_answered", "citizen", {"score": 4, "points": 75.0}),
    ]
    await write_conversation(store, "c-before", "p1", "sms", before)
    await write_conversation(
        store, "c-district", "p2", "kakao", served(3, "district", "kim", "connected", channel="kakao")
    )
    left = [
        (4, "created", "citizen", {"channel": "webchat"}),
        (4.01, "category_set", "router", {"category": "transport"}),
        (4.02, "queued", "router", {"queue": "transport", "position": 2}),
        (4.03, "declined", "agent:kim", {"agent": "kim"}),
        (4.1, "abandoned", "citizen", {}),
        (4.1, "resolved", "citizen", {"disposition": None}),
    ]
    await write_conversation(store, "c-left", "p3", "webchat", left)
    # After the period: not counted.
    await write_conversation(store, "c-after", "p2", "sms", served(30, "district", "lee", "resolved"))
    return store


async def test_the_period_holds_the_rounds_opened_in_it_exactly_as_rounds_of_reads_them(month: Store) -> None:
    start, end = DAY, DAY + timedelta(days=1)
    async with month.read() as session:
        found = await rounds_between(session, start, end)
        expected = []
        for conversation_id, contact_id in (
            ("c-before", "p1"),
            ("c-district", "p2"),
            ("c-left", "p3"),
            ("c-after", "p2"),
        ):
            events = await conversations.events(session, conversation_id)
            expected += [r for r in rounds_of(conversation_id, contact_id, events) if start <= r.opened_at < end]
    assert found == sorted(expected, key=lambda r: r.opened_at)
    reopened, district, left = found
    # The reopen inside the period is a contact of its own, in the category already known.
    assert (reopened.conversation_id, reopened.number, reopened.category) == ("c-before", 1, "water")
    assert (reopened.disposition, reopened.agent, reopened.satisfaction) == ("resolved", "lee", 75.0)
    assert reopened.agents == ("lee",) and reopened.channel == "sms"
    assert (district.channel, district.queue, district.disposition, district.bot_answers) == (
        "kakao",
        "district",
        "connected",
        1,
    )
    assert left.abandoned and left.disposition is None and left.declines == 1


async def test_filters_select_rounds_by_channel_category_queue_and_agents(
    month: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store.reports, "SLICE", timedelta(hours=1))  # every hour its own read
    monkeypatch.setattr(store.reports, "BUILT_BETWEEN_YIELDS", 1)
    start, end = DAY - timedelta(days=1), DAY + timedelta(days=2)
    async with month.read() as session:
        everything = await rounds_between(session, start, end)

        async def ids(**where: Any) -> list[tuple[str, int]]:
            return [
                (r.conversation_id, r.number) for r in await rounds_between(session, start, end, RoundFilter(**where))
            ]

        assert len(everything) == 5
        assert await ids(channel="kakao") == [("c-district", 0)]
        assert await ids(category="district") == [("c-district", 0), ("c-after", 0)]
        assert await ids(queue="transport") == [("c-left", 0)]
        assert await ids(agents=frozenset({"lee"})) == [("c-before", 1), ("c-after", 0)]
        assert await ids(agents=frozenset({"kim"}), category="water") == [("c-before", 0)]
        assert await ids(language="ko", channel="sms") == [("c-before", 0), ("c-before", 1), ("c-after", 0)]
