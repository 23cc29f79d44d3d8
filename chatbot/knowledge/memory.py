"""Articles held in memory: the knowledge base without a database, for the bot evaluation
and for tests."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from model import Article


class MemoryArticles:
    """An `ArticleSource` over a dict of each article's variants by language, with the ids
    written in order."""

    def __init__(self, articles: list[Article] | None = None) -> None:
        self._variants: dict[str, dict[str, Article]] = defaultdict(dict)
        for article in articles or []:
            self._variants[article.id][article.language] = article
        self._changes: list[str] = []
        """The id of each article written, in order; a write's mark is its position + 1."""

    async def all_articles(self) -> list[Article]:
        """Every article in every language, by id."""
        return await self.articles(sorted(self._variants))

    async def articles(self, ids: Sequence[str]) -> list[Article]:
        """Every language's variant of these articles."""
        return [self._variants[id_][language] for id_ in ids for language in sorted(self._variants.get(id_, {}))]

    async def changes_since(self, mark: int) -> tuple[int, list[str]]:
        """The newest write's mark, and the ids of the articles written after `mark`."""
        return len(self._changes), list(dict.fromkeys(self._changes[mark:]))

    async def article(self, article_id: str, language: str) -> Article | None:
        """One article in one language, if it is written in it."""
        return self._variants.get(article_id, {}).get(language)

    async def languages(self, article_id: str) -> list[str]:
        """The languages an article is written in, sorted."""
        return sorted(self._variants.get(article_id, {}))

    async def upsert(self, articles: list[Article], now: datetime) -> int:
        """Add or replace articles by (id, language)."""
        for article in articles:
            self._variants[article.id][article.language] = article
        self._changes.extend(article.id for article in articles)
        return len(articles)

    def withdraw(self, article_id: str) -> None:
        """Archive an article: every language's variant leaves."""
        self._variants.pop(article_id, None)
        self._changes.append(article_id)
