"""`dasan simulate`: conversations played through the real hub and back-dated give the report's
shares back (within sampling error), lie on the days asked for, and never after now."""

from __future__ import annotations

import asyncio
import io
import math
import random
import sys
from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from chatbot.knowledge.files import demo_articles
from hub.app import build_hub, open_hub
from hub.config import Settings
from hub.core import Hub
from hub.reports import figures
from hub.simulate import REPORT_PROFILE, Progress, Summary, draw_stories, normalised, simulate, simulated_days
from model import CATEGORIES, Category, Disposition
from model.clock import utcnow
from store.db import Store
from store.reports import rounds_between
from store.simulation import Moment, Timeline
from store.tables import ContactRow, ConversationRow, EventRow, MessageRow, QuestionRow, UtcDateTime
from tests.conftest import hub_settings

SIGMAS = 4.0
"""How far from the expected share an observed one may be, in binomial standard errors."""
DAYS, PER_DAY = 3, 60
"""Enough conversations to test the shares, well under a minute on each engine."""


@pytest.fixture
async def opened_hub(settings: Settings) -> AsyncIterator[Hub]:
    """The hub as the `dasan` command builds it: no channel, no background worker, the demo loaded."""
    hub = build_hub(settings)
    await open_hub(hub)
    yield hub
    await hub.store.close()


def _first_day_start(days: int, zone: ZoneInfo) -> datetime:
    today = utcnow().astimezone(zone).date()
    return datetime.combine(simulated_days(today, days)[0], time(0), zone)


def assert_share(observed: int, total: int, expected: float, what: str) -> None:
    """`observed` of `total` is `expected` give or take SIGMAS binomial standard errors."""
    assert total > 0, f"no rounds to count {what} in"
    tolerance = SIGMAS * math.sqrt(expected * (1 - expected) / total)
    share = observed / total
    assert abs(share - expected) <= tolerance, (
        f"{what}: {share:.3f} ({observed}/{total}), expected {expected:.3f} ± {tolerance:.3f}"
    )


def expected_categories(days: list[Any]) -> dict[str, float]:
    """The profile's category split over the simulated days (each month has its own)."""
    mixed = dict.fromkeys(CATEGORIES, 0.0)
    for day in days:
        for category, share in normalised(REPORT_PROFILE.categories_in(day.month)).items():
            mixed[category.value] += share / len(days)
    return mixed


def expected_dispositions(categories: dict[str, float]) -> dict[str, float]:
    """The overall disposition split the city and district tables give for a category split."""
    district = categories[Category.DISTRICT.value]
    city = normalised(REPORT_PROFILE.city_outcomes)
    district_outcomes = normalised(REPORT_PROFILE.district_outcomes)
    return {d.value: (1 - district) * city[d] + district * district_outcomes[d] for d in Disposition}


async def test_simulated_days_give_the_report_shares_back(opened_hub: Hub) -> None:
    days, per_day = DAYS, PER_DAY
    zone = opened_hub.settings.timezone
    summary = await simulate(opened_hub, days, per_day, seed=7)
    assert sum(summary.conversations.values()) == days * per_day
    assert len(summary.conversations) == days and set(summary.conversations.values()) == {per_day}

    async with opened_hub.store.read() as session:
        rounds = await rounds_between(session, _first_day_start(days, zone), utcnow())
    assert len(rounds) >= days * per_day  # a reopen is one more round

    simulated = simulated_days(utcnow().astimezone(zone).date(), days)
    categories = expected_categories(simulated)
    counted = figures.contacts_by(rounds, lambda r: r.category)
    assert set(counted) <= set(CATEGORIES), f"rounds without the drawn category: {counted}"
    for category, expected in categories.items():
        assert_share(counted.get(category, 0), len(rounds), expected, f"category {category}")

    resolved = figures.resolved_by_agents(rounds)
    for disposition, expected in expected_dispositions(categories).items():
        assert_share(figures.dispositions(rounds)[disposition], len(resolved), expected, f"disposition {disposition}")

    split = figures.fcr_split(rounds)
    district = [r for r in resolved if figures.is_district(r)]
    city = [r for r in resolved if not figures.is_district(r)]
    assert_share(round(split["district"] * len(district)), len(district),
                 normalised(REPORT_PROFILE.district_outcomes)[Disposition.RESOLVED], "FCR of district matters")  # fmt: skip
    assert_share(round(split["city"] * len(city)), len(city),
                 normalised(REPORT_PROFILE.city_outcomes)[Disposition.RESOLVED], "FCR of city matters")  # fmt: skip
    assert split["city"] > split["district"]

    waited = figures.settled_waits(rounds)
    answered = sum(r.answered_at is not None for r in waited)
    assert_share(answered, len(waited), REPORT_PROFILE.answer_rate, "answer rate")
    # The drawn waits survive the back-dating: their median is the profile's (a log-normal's
    # sample median is off by 1.2533 σ / √n in log terms), and a tail waits over a minute.
    waits = [w for r in rounds if (w := r.wait_seconds) is not None]
    error = SIGMAS * 1.2533 * REPORT_PROFILE.wait_spread / math.sqrt(len(waits))
    median = figures.wait_percentiles(rounds)["p50"]
    assert abs(math.log(median / REPORT_PROFILE.wait_median_seconds)) <= error, (median, error)
    assert any(w > 60 for w in waits) and sum(w <= 60 for w in waits) > len(waits) / 2
    assert any(not r.waited_for_agent and r.bot_answers for r in rounds), "no conversation the bot answered alone"

    rated = [r.satisfaction for r in rounds if r.satisfaction is not None]
    scores = normalised(REPORT_PROFILE.satisfaction_scores)
    mean = sum((score - 1) * 25 * share for score, share in scores.items())
    spread = math.sqrt(sum(((score - 1) * 25 - mean) ** 2 * share for score, share in scores.items()))
    assert rated, "no citizen answered the satisfaction survey"
    assert abs(sum(rated) / len(rated) - mean) <= SIGMAS * spread / math.sqrt(len(rated))


async def _stamps(store: Store) -> dict[str, list[tuple[str, datetime]]]:
    """Every datetime column of the rows a simulation writes, by table."""
    found: dict[str, list[tuple[str, datetime]]] = {}
    async with store.read() as session:
        for table in (ConversationRow, MessageRow, EventRow, ContactRow, QuestionRow):
            columns = [c for c in table.__table__.columns if isinstance(c.type, UtcDateTime)]
            for row in await session.execute(select(*columns)):
                found.setdefault(table.__tablename__, []).extend(
                    (column.name, value) for column, value in zip(columns, row, strict=True) if value is not None
                )
    return found


async def test_the_command_back_dates_onto_the_days_asked_and_shows_progress(database_url: str, repo_root: Any) -> None:
    started = utcnow()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub.cli", "--database", database_url, "simulate", "--days", "2", "--per-day", "20",
        "--seed", "1", cwd=repo_root, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()
    assert "simulated 40/40 conversations" in err.decode()
    assert "/s," in err.decode() and "left" in err.decode()
    report = out.decode().splitlines()
    assert report[-1].split()[:3] == ["total", "40", "conversations"], report
    assert len(report) == 3 and all(" 20 conversations" in line for line in report[:2]), report
    finished = utcnow()

    zone = hub_settings(database_url).timezone
    first, today = _first_day_start(2, zone), datetime.combine(finished.astimezone(zone).date(), time(0), zone)
    store = Store(database_url)
    try:
        async with store.read() as session:
            conversations = list(await session.scalars(select(ConversationRow).order_by(ConversationRow.created_at)))
            events = list(await session.scalars(select(EventRow).order_by(EventRow.conversation_id, EventRow.id)))
        stamps = await _stamps(store)
    finally:
        await store.close()
    assert len(conversations) == 40
    assert all(first <= c.created_at < today for c in conversations), "a conversation outside the days asked for"
    days = {c.created_at.astimezone(zone).date() for c in conversations}
    assert len(days) == 2
    # Each conversation's events keep the order they were stored in, from its creation on.
    by_conversation: dict[str, list[EventRow]] = {}
    for event in events:
        by_conversation.setdefault(event.conversation_id, []).append(event)
    for conversation in conversations:
        trail = by_conversation[conversation.id]
        assert trail[0].type == "created" and trail[0].at == conversation.created_at
        assert all(a.at <= b.at for a, b in zip(trail, trail[1:], strict=False)), [(e.type, e.at) for e in trail]
        if conversation.resolved_at is not None:
            assert conversation.created_at <= conversation.resolved_at <= trail[-1].at
    # Nothing the hub wrote while simulating keeps the time it was written at.
    for table, found in stamps.items():
        late = [(column, value) for column, value in found if value > started]
        assert not late, f"{table} keeps stamps of the run: {late[:3]}"
        assert all(first <= value for _, value in found), f"{table} has stamps before the first day"


def test_a_seed_draws_the_same_traffic() -> None:
    zone, now = ZoneInfo("Asia/Seoul"), utcnow()
    days = simulated_days(now.astimezone(zone).date(), 2)

    def drawn(seed: int) -> list[tuple[Any, ...]]:
        stories = draw_stories(random.Random(seed), days, 30, zone, now, demo_articles())
        return [(s.channel, s.sender, s.language, s.category, s.article.id, s.disposition, s.plan) for s in stories]

    assert drawn(3) == drawn(3)
    assert drawn(3) != drawn(4)
    assert all(s[-1].end < now and s[-1].opened.astimezone(zone).date() in days for s in drawn(3))


def test_the_summary_counts_per_day() -> None:
    summary = Summary()
    day = datetime(2026, 11, 2).date()
    summary.conversations[day] += 2
    summary.messages[day] += 9
    assert summary.lines() == [
        "2026-11-02       2 conversations        9 messages",
        "total            2 conversations        9 messages",
    ]


def test_the_timeline_moves_each_step_onto_its_simulated_time_in_order() -> None:
    real = datetime(2026, 11, 30, 12, 0, tzinfo=ZoneInfo("UTC"))
    past = datetime(2026, 11, 2, 9, 0, tzinfo=ZoneInfo("Asia/Seoul"))
    ms = timedelta(milliseconds=1)
    timeline = Timeline(
        [
            Moment(real, past),
            Moment(real + 50 * ms, past + timedelta(seconds=40)),
            Moment(real + 90 * ms, past + timedelta(minutes=4)),
        ]
    )
    assert timeline.moved(real) == past
    assert timeline.moved(real + 7 * ms) == past + 7 * ms  # within a step, the hub's own spacing
    assert timeline.moved(real + 60 * ms) == past + timedelta(seconds=40) + 10 * ms
    # A step that ran long in real time never reaches the next step's time.
    assert timeline.moved(real + 89 * ms) < past + timedelta(minutes=4)
    assert timeline.moved(real - ms) == past  # a stamp taken just before the first step
    stamps = [real + n * ms for n in range(0, 120, 3)]
    assert [timeline.moved(s) for s in stamps] == sorted(timeline.moved(s) for s in stamps)
    with pytest.raises(ValueError):
        Timeline([Moment(real, past), Moment(real + ms, past - timedelta(seconds=1))])


def test_progress_rewrites_one_line_on_a_terminal_and_writes_lines_elsewhere() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    shown = Terminal()
    progress = Progress(3, shown)
    for _ in range(3):
        progress.advance()
    assert shown.getvalue().startswith("\rsimulated 1/3 conversations")
    assert "\rsimulated 3/3 conversations" in shown.getvalue()
    assert shown.getvalue().count("\n") == 1 and shown.getvalue().endswith("left\x1b[K\n")

    logged = io.StringIO()
    progress = Progress(3, logged, every_seconds=3600)
    for _ in range(3):
        progress.advance()
    lines = logged.getvalue().splitlines()
    assert [line.split(",")[0] for line in lines] == ["simulated 1/3 conversations", "simulated 3/3 conversations"]
