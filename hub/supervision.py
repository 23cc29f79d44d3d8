"""What supervisors watch: queues, agents, today's first-contact resolution."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from model import AgentState, Disposition, Role
from model.clock import utcnow
from store import agents, queues, stats


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The city's calendar day as an instant range [start, end)."""
    start = datetime.combine(day, time.min, zone)
    return start, datetime.combine(day + timedelta(days=1), time.min, zone)


async def overview(session: AsyncSession, zone: ZoneInfo) -> dict[str, Any]:
    # Editors keep the knowledge base; they are not on the floor.
    everyone = [agent for agent in await agents.all_agents(session) if agent.role.at_least(Role.AGENT)]
    by_state = Counter(agent.state.value for agent in everyone)
    queue_list = await queues.queues_with_waiting(session, utcnow())
    start, end = day_bounds(utcnow().astimezone(zone).date(), zone)
    resolved = await stats.resolved_between(session, start, end)
    total = sum(resolved.values())
    return {
        "agents": [agent.to_json() for agent in everyone],
        "agents_by_state": {state.value: by_state.get(state.value, 0) for state in AgentState},
        "queues": [queue.to_json() for queue in queue_list],
        "longest_wait_seconds": round(max((q.longest_wait_seconds for q in queue_list), default=0.0), 1),
        "today": {
            "resolved": total,
            "first_contact_resolution": round(resolved[Disposition.RESOLVED.value] / total, 4) if total else 0.0,
        },
    }
