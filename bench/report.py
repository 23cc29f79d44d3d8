"""The monthly report over a month of a city's contacts: how long it takes and how much memory.

Bulk-loads `--days` days of `--per-day` conversations (default 30 × 19,243, the foundation's
daily volume: about 580,000 conversations) with their contacts and events, written directly
with executemany inserts (not through ingest), drawn from the report's shares: categories
transport 10.5 %, water 11.9 %, city 10.7 %, district 63.6 %, other 3.3 %; dispositions
78.8 / 5.9 / 13.5 / 1.7 / 0.1 % (first-contact resolution 94.5 % for city matters, 70.4 % for
district ones); a share answered by the bot alone, a share abandoned while waiting, a few
reopened, about 55 abusive incidents a month, survey ratings. The store's own migrations
create the tables: a fresh SQLite file under /tmp and a fresh PostgreSQL database
`dasan_bench`.

Then, on each engine, a fresh process times (a) the monthly report, `report_tables` with
period=month over the days loaded, and (b) a plain `SELECT category, count(*) FROM
conversations … GROUP BY category` over the same rows, and prints both times, their ratio
and the process's peak resident memory (`resource.getrusage` ru_maxrss: the whole process,
given beside what it held before the report). The goal: the report under 30 s and 1 GB.

    .venv/bin/python bench/report.py                      # the full month on both engines
    .venv/bin/python bench/report.py --per-day 500        # a quick check
    .venv/bin/python bench/report.py --engine sqlite --days 7
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import func, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.app import build_hub  # noqa: E402
from hub.config import Settings  # noqa: E402
from hub.reports.query import ReportQuery, report_tables  # noqa: E402
from hub.reports.tables import Period  # noqa: E402
from hub.supervision import day_bounds  # noqa: E402
from model import CATEGORIES, QUEUE_NAMES, AgentState, Role  # noqa: E402
from store import queues, teams  # noqa: E402
from store.db import Store  # noqa: E402
from store.tables import AgentRow, ContactRow, ConversationRow, EventRow  # noqa: E402

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
POSTGRES_BENCH = "postgresql+asyncpg://postgres@127.0.0.1:5432/dasan_bench"
FIRST_DAY = date(2026, 10, 1)
SETTINGS = Settings(load_demo=False, channels=())
ZONE = SETTINGS.timezone


@dataclass(frozen=True)
class Shares:
    """Values to draw with the given weights (cumulated once, not at every draw)."""

    values: tuple[Any, ...]
    cumulative: tuple[float, ...]

    @classmethod
    def of(cls, weights: dict[Any, float]) -> Shares:
        return cls(tuple(weights), tuple(itertools.accumulate(weights.values())))

    def draw(self, rng: random.Random) -> Any:
        return rng.choices(self.values, cum_weights=self.cumulative)[0]


CATEGORY_SHARES = Shares.of({"transport": 10.5, "water": 11.9, "city": 10.7, "district": 63.6, "other": 3.3})
# Of the contacts agents resolve, the share closed as `resolved` (1차 상담완료) by matter; the
# rest split as the report's other dispositions do.
FIRST_CONTACT_RESOLUTION = {"city": 0.945, "district": 0.704}
OTHER_DISPOSITIONS = Shares.of({"directory": 5.9, "connected": 13.5, "transferred": 1.7, "callback": 0.1})
CHANNEL_SHARES = Shares.of({"kakao": 45, "webchat": 25, "sms": 18, "telegram": 8, "api": 2, "sign_video": 2})
LANGUAGE_SHARES = Shares.of({"ko": 95.0, "en": 2.0, "zh": 1.2, "vi": 0.8, "ja": 0.6, "mn": 0.4})
# Contacts by hour of the city's day: a working day's shape, quiet at night.
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 3, 6, 10, 14, 15, 14, 11, 13, 14, 13, 12, 10, 8, 6, 5, 4, 3, 2]
SCORE_SHARES = Shares.of({5: 60, 4: 25, 3: 10, 2: 3, 1: 2})
BOT_ONLY = 0.25
"""Answered by the bot, never waiting for a person."""
ABANDONED = 0.135
"""Of those waiting for a person, the share who leave first (the report's answer rate, 86.5 %)."""
DECLINED = 0.05
TRANSFERRED = 0.03
REOPENED = 0.02
REPEAT_CONTACT = 0.12
"""Conversations from a citizen who wrote in recently."""
FLAGGED_PER_DAY = 1.8
"""Abusive-complaint incidents a day: about 55 a month, under the report's ceiling of 60."""
SURVEY_ASKED, SURVEY_ANSWERED = 0.4, 0.5
AGENTS, TEAMS, PARTS_PER_TEAM = 150, 5, 3
CONVERSATIONS_PER_WRITE = 2_000


@dataclass
class Generator:
    """Conversations with their events and contacts, drawn from the report's shares."""

    rng: random.Random
    per_day: int
    agents: list[str]
    event_id: int = 0
    recent_contacts: deque[str] = field(default_factory=lambda: deque(maxlen=20_000))

    def new_id(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def day(self, day: date) -> Iterator[tuple[dict[str, Any] | None, dict[str, Any], list[dict[str, Any]]]]:
        """The day's conversations in the order they opened: (new contact or None, conversation, events)."""
        midnight = datetime.combine(day, datetime.min.time(), ZONE)
        hours = self.rng.choices(range(24), weights=HOUR_WEIGHTS, k=self.per_day)
        for opened in sorted(midnight + timedelta(hours=h, seconds=self.rng.uniform(0, 3600)) for h in hours):
            yield self.conversation(opened)

    def conversation(self, opened: datetime) -> tuple[dict[str, Any] | None, dict[str, Any], list[dict[str, Any]]]:
        rng = self.rng
        conversation_id = self.new_id()
        contact: dict[str, Any] | None = None
        if self.recent_contacts and rng.random() < REPEAT_CONTACT:
            contact_id = rng.choice(self.recent_contacts)
        else:
            contact_id = self.new_id()
            contact = {"id": contact_id, "display_name": "시민", "phone": None, "created_at": opened}
        self.recent_contacts.append(contact_id)
        channel = CHANNEL_SHARES.draw(rng)
        language = "ko" if channel == "sign_video" else LANGUAGE_SHARES.draw(rng)
        category = CATEGORY_SHARES.draw(rng)
        queue = "sign_language" if channel == "sign_video" else category if language == "ko" else "foreign_language"
        events: list[dict[str, Any]] = []

        def event(kind: str, actor: str, at: datetime, **data: Any) -> None:
            self.event_id += 1
            events.append(
                {"id": self.event_id, "conversation_id": conversation_id, "type": kind, "actor": actor, "data": data,
                 "at": at}
            )  # fmt: skip

        event("created", "citizen", opened, channel=channel)
        event("language_set", "router", opened, language=language, reason="detected")
        event("category_set", "citizen", opened, category=category, reason="keywords")
        row: dict[str, Any] = {
            "id": conversation_id, "contact_id": contact_id, "channel": channel, "sender": contact_id,
            "state": "resolved", "language": language, "language_source": "detected", "category": category,
            "category_source": "citizen", "queue": None, "priority": 0, "assigned_agent_id": None,
            "bot_failures": 0, "created_at": opened, "queued_at": None, "offer_expires_at": None,
            "answered_at": None, "first_response_at": None, "resolved_at": None, "disposition": None,
            "abandoned": False,
        }  # fmt: skip
        if channel != "sign_video" and rng.random() < BOT_ONLY:
            event("bot_answered", "bot:builtin", opened + timedelta(seconds=2), article="a-1")
            resolved_at = opened + timedelta(seconds=rng.uniform(60, 600))
            event("resolved", "bot:builtin", resolved_at, disposition=None)
            row |= {"resolved_at": resolved_at, "last_message_at": resolved_at}
            return contact, row, events
        at = opened + timedelta(seconds=5)
        event("handed_off", "router", at, reason="the citizen asked for a person")
        ended = self.agent_round(event, row, queue, category, at)
        if row["disposition"] is not None and rng.random() < REOPENED:
            at = ended + timedelta(minutes=rng.uniform(1, 50))
            event("reopened", "citizen", at)
            ended = self.agent_round(event, row, queue, category, at)
        row["last_message_at"] = ended
        return contact, row, events

    def agent_round(self, event: Any, row: dict[str, Any], queue: str, category: str, at: datetime) -> datetime:
        """One wait for a person from `at`: abandoned, or answered and resolved. Returns its end."""
        rng = self.rng
        event("queued", "router", at, queue=queue, position=rng.randint(1, 12))
        row |= {"queue": queue, "queued_at": at}
        wait = timedelta(seconds=rng.expovariate(1 / 35))
        if rng.random() < ABANDONED:
            left = at + timedelta(seconds=rng.expovariate(1 / 90))
            event("abandoned", "citizen", left)
            event("resolved", "citizen", left, disposition=None)
            row |= {"abandoned": True, "answered_at": None, "disposition": None, "resolved_at": left}
            return left
        agent = rng.choice(self.agents)
        if rng.random() < DECLINED:
            other = rng.choice(self.agents)
            event("offered", "router", at + wait / 2, agent=other)
            event("declined", f"agent:{other}", at + wait / 2, agent=other)
        answered = at + wait
        event("offered", "router", answered, agent=agent)
        event("accepted", f"agent:{agent}", answered, agent=agent)
        event("first_response", f"agent:{agent}", answered + timedelta(seconds=rng.uniform(10, 90)))
        handle = timedelta(seconds=rng.lognormvariate(5.5, 0.6))
        if rng.random() < TRANSFERRED:
            event("transferred", f"agent:{agent}", answered + handle / 2, queue=queue)
            agent = rng.choice(self.agents)
            event("accepted", f"agent:{agent}", answered + handle / 2, agent=agent)
        if rng.random() < FLAGGED_PER_DAY / (self.per_day * (1 - BOT_ONLY) * (1 - ABANDONED)):
            event("flagged", f"agent:{agent}", answered + handle / 3, reason="욕설 반복", action="warned")
        matter = "district" if category == "district" else "city"
        resolved_first = rng.random() < FIRST_CONTACT_RESOLUTION[matter]
        disposition = "resolved" if resolved_first else OTHER_DISPOSITIONS.draw(rng)
        resolved_at = answered + handle
        event("resolved", f"agent:{agent}", resolved_at, disposition=disposition)
        if rng.random() < SURVEY_ASKED:
            event("survey_asked", "router", resolved_at)
            if rng.random() < SURVEY_ANSWERED:
                score = SCORE_SHARES.draw(rng)
                event("survey_answered", "citizen", resolved_at + timedelta(minutes=2), score=score,
                      points=(score - 1) * 25)  # fmt: skip
        row |= {
            "answered_at": answered, "first_response_at": answered, "resolved_at": resolved_at,
            "disposition": disposition, "abandoned": False,
        }  # fmt: skip
        return resolved_at


async def fresh_postgres() -> str:
    """An empty `dasan_bench` database (dropped first when a previous run left one)."""
    admin = await asyncpg.connect(POSTGRES_ADMIN)
    try:
        await admin.execute("DROP DATABASE IF EXISTS dasan_bench WITH (FORCE)")
        await admin.execute("CREATE DATABASE dasan_bench")
    finally:
        await admin.close()
    return POSTGRES_BENCH


async def add_agents(store: Store, created_at: datetime) -> list[str]:
    """The floor: agents (who cannot log in) in teams and parts, a few in none."""
    usernames = [f"agent{number:03d}" for number in range(1, AGENTS + 1)]
    async with store.write() as session:
        await queues.ensure_defaults(session, SETTINGS.sla_seconds)
        await session.execute(
            insert(AgentRow),
            [
                {"id": f"{number:032x}", "username": username, "display_name": f"상담사 {number:03d}",
                 "password_hash": "!", "role": Role.AGENT.value, "state": AgentState.OFFLINE.value,
                 "skills": list(QUEUE_NAMES), "languages": ["ko"], "capacity": {"chat": 3, "video": 1},
                 "idle_since": None, "created_at": created_at}
                for number, username in enumerate(usernames, start=1)
            ],
        )  # fmt: skip
        parts = []
        for t in range(1, TEAMS + 1):
            team = await teams.create_team(session, f"상담{t}팀")
            for p in range(1, PARTS_PER_TEAM + 1):
                parts.append((await teams.create_part(session, team.id, f"{CATEGORIES[p % len(CATEGORIES)]}파트")).id)
        for number, username in enumerate(usernames[: AGENTS - 10]):
            await teams.set_part(session, username, parts[number % len(parts)])
    return usernames


async def load(url: str, engine: str, days: int, per_day: int, seed: int) -> tuple[int, int]:
    """Migrate a fresh database and fill it; (conversations, events) written."""
    store = Store(url)
    await store.migrate()
    generator = Generator(random.Random(seed), per_day, await add_agents(store, datetime.now(ZONE)))
    conversations = 0
    started = time.perf_counter()
    for number in range(days):
        batch: list[tuple[dict[str, Any] | None, dict[str, Any], list[dict[str, Any]]]] = []
        for item in generator.day(FIRST_DAY + timedelta(days=number)):
            batch.append(item)
            if len(batch) == CONVERSATIONS_PER_WRITE:
                conversations += await write(store, batch)
                batch = []
                progress(engine, number, days, conversations, generator.event_id, started)
        conversations += await write(store, batch)
        progress(engine, number, days, conversations, generator.event_id, started)
    print(file=sys.stderr)
    if not store.is_sqlite:
        async with store.write() as session:
            # The events were given their ids (their order within a conversation); the next one continues.
            await session.execute(text("SELECT setval('events_id_seq', (SELECT max(id) FROM events))"))
    # Fresh tables: let the planner know their sizes, as autovacuum would in production.
    async with store.write_engine.connect() as connection:
        await connection.execute(text("ANALYZE"))
        await connection.commit()
    await store.close()
    return conversations, generator.event_id


def progress(engine: str, day: int, days: int, conversations: int, events: int, started: float) -> None:
    print(
        f"\r{engine}: day {day + 1}/{days}, {conversations:,} conversations, {events:,} events,"
        f" {time.perf_counter() - started:.0f} s",
        end="",
        file=sys.stderr,
        flush=True,
    )


async def write(store: Store, batch: list[tuple[dict[str, Any] | None, dict[str, Any], list[dict[str, Any]]]]) -> int:
    """Write the conversations, their new contacts and their events in one transaction; how many."""
    if not batch:
        return 0
    # Core inserts of the tables (not the ORM's bulk path): one executemany per table.
    async with store.write() as session:
        connection = await session.connection()
        contacts = [contact for contact, _, _ in batch if contact is not None]
        if contacts:
            await connection.execute(insert(ContactRow.__table__), contacts)
        await connection.execute(insert(ConversationRow.__table__), [row for _, row, _ in batch])
        await connection.execute(insert(EventRow.__table__), [event for _, _, events in batch for event in events])
    return len(batch)


def resident_mb() -> float:
    """This process's peak resident memory so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def measure(url: str, first: date, last: date) -> dict[str, Any]:
    """Run in a fresh process: the monthly report, then the plain count, on the rows loaded."""
    hub = build_hub(Settings(database_url=url, load_demo=False, channels=()))
    start, _ = day_bounds(first, ZONE)
    _, end = day_bounds(last, ZONE)
    async with hub.store.read() as session:
        await session.execute(text("SELECT 1"))  # connect before either clock starts
    before = resident_mb()
    started = time.perf_counter()
    tables = await report_tables(hub, ReportQuery(first, last, Period.MONTH))
    report_seconds = time.perf_counter() - started
    peak = resident_mb()
    started = time.perf_counter()
    async with hub.store.read() as session:
        counted = await session.execute(
            select(ConversationRow.category, func.count())
            .where(ConversationRow.created_at >= start, ConversationRow.created_at < end)
            .group_by(ConversationRow.category)
        )
        by_category = {str(category): int(n) for category, n in counted}
    count_seconds = time.perf_counter() - started
    await hub.store.close()
    totals = tables["totals"]
    return {
        "report_seconds": report_seconds,
        "count_seconds": count_seconds,
        "peak_mb": peak,
        "before_mb": before,
        "contacts": totals["contacts"],
        "conversations": sum(by_category.values()),
        "agents": len(tables["by_agent"]),
        "category_share": {k: round(v / max(1, totals["contacts"]), 3) for k, v in totals["by_category"].items()},
        "fcr_split": totals["fcr_split"],
        "answer_rate": totals["answer_rate"],
        "abuse": [month["incidents"] for month in tables["abuse_by_month"]],
    }


def measured(url: str, first: date, last: date) -> dict[str, Any]:
    """`measure` in a fresh process, so that its peak memory is the report's and not the loader's."""
    done = subprocess.run(
        [sys.executable, __file__, "--measure", url, "--first", first.isoformat(), "--last", last.isoformat()],
        check=True,
        stdout=subprocess.PIPE,  # its errors reach the terminal
        text=True,
    )
    return json.loads(done.stdout)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-day", type=int, default=19_243)
    parser.add_argument("--seed", type=int, default=120)
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--first", type=date.fromisoformat, help=argparse.SUPPRESS)
    parser.add_argument("--last", type=date.fromisoformat, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(await measure(args.measure, args.first, args.last)))
        return
    first, last = FIRST_DAY, FIRST_DAY + timedelta(days=args.days - 1)
    engines = ("sqlite", "postgresql") if args.engine == "both" else (args.engine,)
    results = {}
    for engine in engines:
        folder = Path(tempfile.mkdtemp())
        url = f"sqlite+aiosqlite:///{folder}/report.db" if engine == "sqlite" else await fresh_postgres()
        started = time.perf_counter()
        conversations, events = await load(url, engine, args.days, args.per_day, args.seed)
        print(
            f"{engine}: loaded {conversations:,} conversations and {events:,} events in "
            f"{time.perf_counter() - started:.0f} s ({url})",
            file=sys.stderr,
        )
        results[engine] = measured(url, first, last)
        shutil.rmtree(folder)  # a month on SQLite is 1.6 GB
    print(f"\nmonthly report, {first} to {last}, {args.days} days × {args.per_day:,} conversations, period=month")
    print("memory: peak resident set (getrusage ru_maxrss) of a fresh process running only the report")
    print(f"{'engine':12}{'report s':>10}{'COUNT s':>10}{'ratio':>9}{'peak MB':>9}{'before MB':>11}{'rounds':>10}")
    for engine, r in results.items():
        ratio = r["report_seconds"] / max(r["count_seconds"], 1e-6)
        print(
            f"{engine:12}{r['report_seconds']:10.2f}{r['count_seconds']:10.3f}{ratio:9.0f}"
            f"{r['peak_mb']:9.0f}{r['before_mb']:11.0f}{r['contacts']:10,}"
        )
    for engine, r in results.items():
        print(
            f"{engine}: {r['conversations']:,} conversations, {r['agents']} agents; categories {r['category_share']};"
            f" FCR {r['fcr_split']}; answer rate {r['answer_rate']}; abuse incidents per month {r['abuse']}"
        )
    print("goal: the report under 30 s and 1,024 MB")


if __name__ == "__main__":
    asyncio.run(main())
