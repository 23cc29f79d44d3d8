"""Queue settings: one queue per category plus foreign_language and sign_language."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from model import Queue
from store.conversations import waiting_by_queue
from store.mapping import queue_record
from store.tables import QueueRow

DEFAULT_QUEUES: dict[str, tuple[str, bool]] = {
    "transport": ("교통", True),
    "water": ("상수도", True),
    "city": ("시정", True),
    "district": ("자치구", True),
    "other": ("기타", True),
    "foreign_language": ("외국어", True),
    # A deaf citizen on video needs an interpreter at once, never a text bot.
    "sign_language": ("수어", False),
    # The night team: conversations reach it only when a closed queue hands over to it.
    "night": ("야간", True),
}


async def ensure_defaults(session: AsyncSession, sla_seconds: int) -> None:
    existing = set(await session.scalars(select(QueueRow.name)))
    for name, (label, bot_first) in DEFAULT_QUEUES.items():
        if name not in existing:
            session.add(QueueRow(name=name, label=label, bot_first=bot_first, sla_seconds=sla_seconds))
    await session.flush()


async def queue(session: AsyncSession, name: str) -> Queue | None:
    row = await session.get(QueueRow, name)
    return queue_record(row) if row else None


async def queues_with_waiting(session: AsyncSession, now: datetime) -> list[Queue]:
    """Every queue with how many wait and how long the oldest has waited."""
    waiting = await waiting_by_queue(session)
    result = []
    for row in await session.scalars(select(QueueRow).order_by(QueueRow.name)):
        count, oldest = waiting.get(row.name, (0, None))
        result.append(queue_record(row, count, (now - oldest).total_seconds() if oldest else 0.0))
    return result


async def update(session: AsyncSession, name: str, **changes: Any) -> Queue | None:
    """Change a queue's label, bot_first or sla_seconds; None when there is no such queue."""
    row = await session.get(QueueRow, name)
    if row is None:
        return None
    for field, value in changes.items():
        setattr(row, field, value)
    await session.flush()
    return queue_record(row)
