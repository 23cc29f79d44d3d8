"""The knowledge base (표준상담DB) as the bot and the agents search it: articles plus a search index."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Protocol

from chatbot.knowledge.index import BM25Index, Hit
from chatbot.knowledge.tokenizer import SearchTokenizer
from model import Article
from model.clock import utcnow


class ArticleSource(Protocol):
    """Where the articles are kept (the hub gives `store.knowledge.ArticleStore`)."""

    async def all_articles(self) -> list[Article]:
        """Every article in every language."""

    async def article(self, article_id: str, language: str) -> Article | None:
        """One article in one language, if it is written in it."""

    async def languages(self, article_id: str) -> list[str]:
        """The languages an article is written in, sorted."""

    async def revision(self) -> object:
        """A value that changes whenever an article is added or edited."""

    async def upsert(self, articles: list[Article], now: datetime) -> int:
        """Add or replace articles by (id, language); how many were written."""


class KnowledgeBase:
    """Searches articles, one index per language, each read by its language's analyser;
    rebuilds the indexes when the articles change."""

    def __init__(self, source: ArticleSource, tokenizer: SearchTokenizer, recheck_seconds: float = 2.0) -> None:
        self._source = source
        self._tokenizer = tokenizer
        self._recheck_seconds = recheck_seconds
        self._indexes: dict[str, BM25Index] = {}
        self._revision: object = None
        self._checked_at = 0.0
        self._lock = asyncio.Lock()

    async def search(self, query: str, language: str = "ko", limit: int = 5) -> list[Hit]:
        """The best `limit` articles in `language` for `query`, best first."""
        index = (await self._current()).get(language)
        return index.search(query, limit) if index else []

    async def article(self, article_id: str, language: str = "ko") -> Article | None:
        """The article in `language`, if it is written in it."""
        return await self._source.article(article_id, language)

    async def languages(self, article_id: str) -> list[str]:
        """The languages `article_id` is written in (none when it does not exist)."""
        return await self._source.languages(article_id)

    async def load(self, items: list[Article]) -> int:
        """Add or replace articles; searches see them at once."""
        written = await self._source.upsert(items, utcnow())
        self._checked_at = 0.0
        return written

    async def _current(self) -> dict[str, BM25Index]:
        if time.monotonic() - self._checked_at < self._recheck_seconds:
            return self._indexes
        async with self._lock:
            # The revision is read before the articles: a write in between makes the index
            # newer than its revision, which costs one extra rebuild, never a stale index.
            revision = await self._source.revision()
            if revision != self._revision:
                by_language: dict[str, list[Article]] = {}
                for article in await self._source.all_articles():
                    by_language.setdefault(article.language, []).append(article)
                # Tokenising a few thousand articles takes a moment: keep the loop free.
                self._indexes = await asyncio.to_thread(
                    lambda: {
                        lang: BM25Index(self._tokenizer.analyser(lang), items) for lang, items in by_language.items()
                    }
                )
                self._revision = revision
            self._checked_at = time.monotonic()
        return self._indexes
