"""Articles held in memory: the knowledge base without a database, for the bot evaluation
and for tests."""

from __future__ import annotations

from datetime import datetime

from model import Article


class MemoryArticles:
    """An `ArticleSource` over a dict keyed by (id, language)."""

    def __init__(self, articles: list[Article] | None = None) -> None:
        self._articles = {(a.id, a.language): a for a in articles or []}
        self._revision = 0

    async def all_articles(self) -> list[Article]:
        """Every article in every language, by id."""
        return sorted(self._articles.values(), key=lambda a: (a.id, a.language))

    async def article(self, article_id: str, language: str) -> Article | None:
        """One article in one language, if it is written in it."""
        return self._articles.get((article_id, language))

    async def languages(self, article_id: str) -> list[str]:
        """The languages an article is written in, sorted."""
        return sorted(language for found, language in self._articles if found == article_id)

    async def revision(self) -> int:
        """Counts the writes."""
        return self._revision

    async def upsert(self, articles: list[Article], now: datetime) -> int:
        """Add or replace articles by (id, language)."""
        self._articles.update({(a.id, a.language): a for a in articles})
        self._revision += 1
        return len(articles)
