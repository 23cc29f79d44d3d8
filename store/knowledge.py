"""Knowledge-base articles: queries inside a session, and `ArticleStore`, the knowledge base's source."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from model import Article
from store.db import Store
from store.tables import ArticleRow


class ArticleStore:
    """The articles in the database, each call in its own transaction
    (`chatbot.knowledge.base.ArticleSource`)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def all_articles(self) -> list[Article]:
        """Every article in every language, by id."""
        async with self._store.read() as session:
            return await all_articles(session)

    async def article(self, article_id: str, language: str) -> Article | None:
        """One article in one language, if it is written in it."""
        async with self._store.read() as session:
            return await article(session, article_id, language)

    async def languages(self, article_id: str) -> list[str]:
        """The languages an article is written in, sorted."""
        async with self._store.read() as session:
            return await languages(session, article_id)

    async def revision(self) -> tuple[int, datetime | None]:
        """Changes whenever an article is added or edited."""
        async with self._store.read() as session:
            return await revision(session)

    async def upsert(self, articles: list[Article], now: datetime) -> int:
        """Insert or replace articles by (id, language); returns how many were written."""
        async with self._store.write() as session:
            return await upsert(session, articles, now)


def _article(row: ArticleRow) -> Article:
    return Article(row.id, row.category, row.title, row.body, tuple(row.keywords or ()), row.language)


async def all_articles(session: AsyncSession) -> list[Article]:
    """Every article in every language, by id."""
    return [_article(row) for row in await session.scalars(select(ArticleRow).order_by(ArticleRow.id))]


async def article(session: AsyncSession, article_id: str, language: str) -> Article | None:
    """One article in one language, if it is written in it."""
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
