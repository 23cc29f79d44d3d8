"""What supervisors watch: queues, agents, today's first-contact resolution."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from model.clock import utcnow
from model import AgentState, Disposition, Queue
from store import agents as agent_store
from store import conversations as store
from store import queues as queue_store
from store import stats
from store.records import queue_record


async def queues(session: AsyncSession) -> list[Queue]:
    """Every queue with how many wait and how long the oldest has waited."""
    now = utcnow()
    waiting = await store.waiting_by_queue(session)
    result = []
    for row in await queue_store.all_queues(session):
        count, oldest = waiting.get(row.name, (0, None))
        result.append(queue_record(row, count, (now - oldest).total_seconds() if oldest else 0.0))
    return result


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The city's calendar day as an instant range [start, end)."""
    start = datetime.combine(day, time.min, zone)
    return start, datetime.combine(day + timedelta(days=1), time.min, zone)


async def overview(session: AsyncSession, zone: ZoneInfo) -> dict[str, Any]:
    agents = await agent_store.records(session, await agent_store.all_agents(session))
    by_state = Counter(agent.state.value for agent in agents)
    queue_list = await queues(session)
    start, end = day_bounds(utcnow().astimezone(zone).date(), zone)
    resolved = await stats.resolved_between(session, start, end)
    total = sum(resolved.values())
    return {
        "agents": [agent.to_json() for agent in agents],
        "agents_by_state": {state.value: by_state.get(state.value, 0) for state in AgentState},
        "queues": [queue.to_json() for queue in queue_list],
        "longest_wait_seconds": round(max((q.longest_wait_seconds for q in queue_list), default=0.0), 1),
        "today": {
            "resolved": total,
            "first_contact_resolution": round(resolved[Disposition.RESOLVED.value] / total, 4) if total else 0.0,
        },
    }
