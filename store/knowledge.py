"""Knowledge-base articles."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from model import Article
from store.tables import ArticleRow


def _article(row: ArticleRow) -> Article:
    return Article(row.id, row.category, row.title, row.body, tuple(row.keywords or ()), row.language)


async def all_articles(session: AsyncSession) -> list[Article]:
    return [_article(row) for row in await session.scalars(select(ArticleRow).order_by(ArticleRow.id))]


async def article(session: AsyncSession, article_id: str, language: str) -> Article | None:
    row = await session.get(ArticleRow, (article_id, language))
    return _article(row) if row else None


async def languages(session: AsyncSession, article_id: str) -> list[str]:
    """The languages an article is written in."""
    found = await session.scalars(select(ArticleRow.language).where(ArticleRow.id == article_id))
    return sorted(found)


async def revision(session: AsyncSession) -> tuple[int, datetime | None]:
    """Changes whenever an article is added or edited: the search index compares it."""
    count, newest = (await session.execute(select(func.count(), func.max(ArticleRow.updated_at)))).one()
    return int(count), newest


async def upsert(session: AsyncSession, articles: list[Article], now: datetime) -> int:
    """Insert or replace articles by (id, language); returns how many were written."""
    for item in articles:
        row = await session.get(ArticleRow, (item.id, item.language))
        if row is None:
            row = ArticleRow(id=item.id, language=item.language)
            session.add(row)
        row.category, row.title, row.body = item.category, item.title, item.body
        row.keywords, row.updated_at = list(item.keywords), now
    await session.flush()
    return len(articles)
