"""Which articles citizens may read: every page of `/kb/` reads the knowledge base through here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from chatbot.knowledge.base import KnowledgeBase
from chatbot.knowledge.index import Hit
from model import Article
from store.knowledge import ArticleStore


def is_published(article: Article, today: date) -> bool:
    """Whether `article` is public today. The store holds only published revisions (drafts
    and reviews live beside it, `hub.editorial`); a seasonal article is public within its dates."""
    return article.valid_on(today)


class PublishedArticles:
    """The published articles, listed, searched and read as the public pages need them."""

    def __init__(self, knowledge: KnowledgeBase, store: ArticleStore, today: Callable[[], date]) -> None:
        self._knowledge = knowledge
        self._store = store
        self._today = today

    async def all(self, language: str | None = None) -> list[Article]:
        """Every published article by id, in every language or only in `language`."""
        return [
            article
            for article in await self._store.all_articles()
            if is_published(article, self._today()) and language in (None, article.language)
        ]

    async def search(self, query: str, language: str, limit: int) -> list[Hit]:
        """The best published articles in `language` for `query`, best first (fewer than `limit`
        when some of the best are not published)."""
        return [
            hit
            for hit in await self._knowledge.search(query, language, limit)
            if is_published(hit.article, self._today())
        ]

    async def article(self, article_id: str, language: str) -> Article | None:
        """The article in `language`, if it is written and published in it."""
        found = await self._knowledge.article(article_id, language)
        return found if found is not None and is_published(found, self._today()) else None

    async def languages(self, article_id: str) -> list[str]:
        """The languages `article_id` is published in, sorted."""
        return [
            language
            for language in await self._knowledge.languages(article_id)
            if await self.article(article_id, language) is not None
        ]
