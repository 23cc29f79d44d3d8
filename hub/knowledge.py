"""The knowledge base as the bot and the agents search it: store plus search index."""

from __future__ import annotations

import asyncio
import time

from chatbot.knowledge.index import BM25Index, Hit
from chatbot.knowledge.tokenizer import SearchTokenizer
from model.clock import utcnow
from model import Article
from store import knowledge as articles
from store.db import Store


class KnowledgeBase:
    """Searches articles, one index per language; rebuilds its index when the store's articles change."""

    def __init__(self, store: Store, tokenizer: SearchTokenizer, recheck_seconds: float = 2.0) -> None:
        self._store = store
        self._tokenizer = tokenizer
        self._recheck_seconds = recheck_seconds
        self._indexes: dict[str, BM25Index] = {}
        self._revision: object = None
        self._checked_at = 0.0
        self._lock = asyncio.Lock()

    async def search(self, query: str, language: str = "ko", limit: int = 5) -> list[Hit]:
        index = (await self._current()).get(language)
        return index.search(query, limit) if index else []

    async def article(self, article_id: str, language: str = "ko") -> Article | None:
        """The article in `language`, if it is written in it."""
        async with self._store.read() as session:
            return await articles.article(session, article_id, language)

    async def languages(self, article_id: str) -> list[str]:
        """The languages `article_id` is written in (none when it does not exist)."""
        async with self._store.read() as session:
            return await articles.languages(session, article_id)

    async def load(self, items: list[Article]) -> int:
        """Add or replace articles; searches see them at once."""
        async with self._store.write() as session:
            written = await articles.upsert(session, items, utcnow())
        self._checked_at = 0.0
        return written

    async def _current(self) -> dict[str, BM25Index]:
        if time.monotonic() - self._checked_at < self._recheck_seconds:
            return self._indexes
        async with self._lock:
            async with self._store.read() as session:
                revision = await articles.revision(session)
                if revision != self._revision:
                    everything = await articles.all_articles(session)
                    by_language: dict[str, list[Article]] = {}
                    for article in everything:
                        by_language.setdefault(article.language, []).append(article)
                    # Tokenising a few thousand articles takes a moment: keep the loop free.
                    self._indexes = await asyncio.to_thread(
                        lambda: {lang: BM25Index(self._tokenizer, items) for lang, items in by_language.items()}
                    )
                    self._revision = revision
            self._checked_at = time.monotonic()
        return self._indexes
