"""The translation cache and the engines' usage counters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
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
    """Keep a translation; a concurrent identical one already kept wins. One statement, not a
    look then an insert: on PostgreSQL both writers would miss and the second hit the unique key."""
    await session.execute(
        _insert(session, TranslationRow)
        .values(source=source, target=target, digest=digest, engine=engine, translated=translated, created_at=now)
        .on_conflict_do_nothing(index_elements=["source", "target", "digest"])
    )


async def count(session: AsyncSession, day: str, engine: str, characters: int, failed: bool) -> None:
    """One request to `engine` on `day` (city date), with the characters it was sent; added in
    the database, so concurrent requests neither collide on the day's first row nor lose counts."""
    await session.execute(
        _insert(session, TranslationUsageRow)
        .values(day=day, engine=engine, requests=1, characters=characters, failures=int(failed))
        .on_conflict_do_update(
            index_elements=["day", "engine"],
            set_={
                "requests": TranslationUsageRow.requests + 1,
                "characters": TranslationUsageRow.characters + characters,
                "failures": TranslationUsageRow.failures + int(failed),
            },
        )
    )


async def usage(session: AsyncSession, first_day: str, last_day: str) -> list[TranslationUsageRow]:
    rows = await session.scalars(
        select(TranslationUsageRow)
        .where(TranslationUsageRow.day >= first_day, TranslationUsageRow.day <= last_day)
        .order_by(TranslationUsageRow.day, TranslationUsageRow.engine)
    )
    return list(rows)


def _insert(session: AsyncSession, table: Any) -> Any:
    """INSERT with ON CONFLICT, which SQLAlchemy offers per dialect (the hub runs on both)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)
