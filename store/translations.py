"""The translation cache and the engines' usage counters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.tables import TranslationRow, TranslationUsageRow


async def cached(session: AsyncSession, source: str, target: str, digest: str) -> TranslationRow | None:
    found = await session.scalars(
        select(TranslationRow).where(
            TranslationRow.source == source, TranslationRow.target == target, TranslationRow.digest == digest
        )
    )
    return found.first()


async def remember(
    session: AsyncSession, source: str, target: str, digest: str, engine: str, translated: str, now: datetime
) -> None:
    """Keep a translation; a concurrent identical one already kept wins."""
    if await cached(session, source, target, digest) is None:
        session.add(TranslationRow(source=source, target=target, digest=digest, engine=engine,
                                   translated=translated, created_at=now))  # fmt: skip


async def count(session: AsyncSession, day: str, engine: str, characters: int, failed: bool) -> None:
    """One request to `engine` on `day` (city date), with the characters it was sent."""
    row = await session.get(TranslationUsageRow, (day, engine))
    if row is None:
        row = TranslationUsageRow(day=day, engine=engine, requests=0, characters=0, failures=0)
        session.add(row)
    row.requests += 1
    row.characters += characters
    row.failures += int(failed)


async def usage(session: AsyncSession, first_day: str, last_day: str) -> list[TranslationUsageRow]:
    rows = await session.scalars(
        select(TranslationUsageRow)
        .where(TranslationUsageRow.day >= first_day, TranslationUsageRow.day <= last_day)
        .order_by(TranslationUsageRow.day, TranslationUsageRow.engine)
    )
    return list(rows)
