"""Queue settings: one queue per category plus foreign_language and sign_language."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

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
}


async def ensure_defaults(session: AsyncSession, sla_seconds: int) -> None:
    existing = set(await session.scalars(select(QueueRow.name)))
    for name, (label, bot_first) in DEFAULT_QUEUES.items():
        if name not in existing:
            session.add(QueueRow(name=name, label=label, bot_first=bot_first, sla_seconds=sla_seconds))
    await session.flush()


async def all_queues(session: AsyncSession) -> list[QueueRow]:
    return list(await session.scalars(select(QueueRow).order_by(QueueRow.name)))


async def queue(session: AsyncSession, name: str) -> QueueRow | None:
    return await session.get(QueueRow, name)
