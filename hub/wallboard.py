"""The wallboard's figures: what a supervisor reads from across the room.

Agents by state and each queue's waiting count and oldest wait are read as they are now;
today's service level and answer rate are computed from the events of the city's day
(docs/reports.md), so a reopen never erases a wait that already happened.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from hub.config import ReportTargets
from hub.reports import figures
from hub.supervision import day_bounds
from model import AgentState, Role
from store import agents, queues
from store import reports as report_store


async def wallboard_frame(
    session: AsyncSession, zone: ZoneInfo, now: datetime, targets: ReportTargets
) -> dict[str, Any]:
    """One full wallboard frame as of `now`: the shape the page and its socket share (docs/api.md)."""
    # Editors keep the knowledge base; they are not on the floor.
    floor = [agent for agent in await agents.all_agents(session) if agent.role.at_least(Role.AGENT)]
    by_state = Counter(agent.state.value for agent in floor)
    queue_list = await queues.queues_with_waiting(session, now)
    start, end = day_bounds(now.astimezone(zone).date(), zone)
    rounds = await report_store.rounds_between(session, start, end)
    sla = {queue.name: queue.sla_seconds for queue in queue_list}
    # Before the day's first wait ends (answered or abandoned) there is no rate to show, and a
    # 0 % in red at eight in the morning would be read as a failure.
    settled = bool(figures.settled_waits(rounds))
    return {
        "type": "wallboard",
        "at": now.isoformat(),
        "agents_by_state": {state.value: by_state.get(state.value, 0) for state in AgentState},
        "queues": [
            {
                "name": queue.name,
                "label": queue.label,
                "waiting": queue.waiting,
                "oldest_wait_seconds": round(queue.longest_wait_seconds, 1),
                "sla_seconds": queue.sla_seconds,
            }
            for queue in queue_list
        ],
        "today": {
            "service_level": round(figures.service_level(rounds, sla), 4) if settled else None,
            "answer_rate": round(figures.answer_rate(rounds), 4) if settled else None,
            "answer_rate_target": targets.answer_rate,
            "contacts": len(rounds),
            "waiting": sum(queue.waiting for queue in queue_list),
        },
    }
