"""The knowledge base (표준상담DB) as the bot and the agents search it: articles plus a search index."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from chatbot.knowledge.index import BM25Index, Hit
from chatbot.knowledge.tokenizer import SearchTokenizer
from model import Article
from model.clock import utcnow

SEOUL = ZoneInfo("Asia/Seoul")
"""The city's time zone unless the hub says otherwise: its day decides which seasonal articles answer."""


class ArticleSource(Protocol):
    """Where the published articles are kept (the hub gives `store.knowledge.ArticleStore`)."""

    async def all_articles(self) -> list[Article]:
        """Every published article in every language."""

    async def articles(self, ids: Sequence[str]) -> list[Article]:
        """The published variants of these articles; an id without any was withdrawn."""

    async def changes_since(self, mark: int) -> tuple[int, list[str]]:
        """The newest change's mark, and the ids of the articles whose published text changed
        after `mark` (0: from the start)."""

    async def article(self, article_id: str, language: str) -> Article | None:
        """One article in one language, if it is written in it."""

    async def languages(self, article_id: str) -> list[str]:
        """The languages an article is written in, sorted."""

    async def upsert(self, articles: list[Article], now: datetime) -> int:
        """Publish articles by (id, language), recording the change; how many were written."""


class KnowledgeBase:
    """Searches the published articles valid on the city's day, one index per language, each
    read by its language's analyser.

    The indexes are built once, on the first search. Afterwards the knowledge base asks its
    source every `recheck_seconds` which articles changed and re-reads only those; `refresh`
    does so at once (after a publish in this process).
    """

    INLINE_CHANGES = 1
    """Changes of up to this many articles apply on the event loop (a few milliseconds);
    larger ones apply to a copy of each index in a worker thread."""

    def __init__(
        self,
        source: ArticleSource,
        tokenizer: SearchTokenizer,
        recheck_seconds: float = 2.0,
        timezone: ZoneInfo = SEOUL,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._source = source
        self._tokenizer = tokenizer
        self._recheck_seconds = recheck_seconds
        self._timezone = timezone
        self._clock = clock
        self._indexes: dict[str, BM25Index] = {}
        self._mark: int | None = None
        """The newest change the indexes hold; None until they are built."""
        self._checked_at = 0.0
        self._lock = asyncio.Lock()

    async def search(self, query: str, language: str = "ko", limit: int = 5) -> list[Hit]:
        """The best `limit` articles in `language` for `query` among those valid today in
        the city, best first."""
        due = time.monotonic() - self._checked_at >= self._recheck_seconds
        # While changes are being applied, searches go on over the indexes as they are.
        if self._mark is None or (due and not self._lock.locked()):
            await self.refresh()
        index = self._indexes.get(language)
        return index.search(query, limit, on=self._today()) if index else []

    async def article(self, article_id: str, language: str = "ko") -> Article | None:
        """The article in `language`, if it is written in it."""
        return await self._source.article(article_id, language)

    async def languages(self, article_id: str) -> list[str]:
        """The languages `article_id` is written in (none when it does not exist)."""
        return await self._source.languages(article_id)

    async def load(self, items: list[Article]) -> int:
        """Add or replace articles; searches see them at once."""
        written = await self._source.upsert(items, self._clock())
        await self.refresh()
        return written

    async def refresh(self) -> None:
        """Bring the indexes up to date with the source now: the articles changed since the
        last look are re-read and replaced or removed (the first call builds every index)."""
        async with self._lock:
            if self._mark is None:
                await self._build()
            else:
                await self._follow_changes()
            self._checked_at = time.monotonic()

    def _today(self) -> date:
        return self._clock().astimezone(self._timezone).date()

    async def _build(self) -> None:
        # The mark is read before the articles: a write in between is read again at the
        # next look, which costs a re-read, never a stale index.
        mark, _ = await self._source.changes_since(0)
        by_language: dict[str, list[Article]] = defaultdict(list)
        for article in await self._source.all_articles():
            by_language[article.language].append(article)
        # Analysing many articles takes a while (Korean: about a millisecond each): keep the loop free.
        self._indexes = await asyncio.to_thread(
            lambda: {lang: BM25Index(self._tokenizer.analyser(lang), items) for lang, items in by_language.items()}
        )
        self._mark = mark

    async def _follow_changes(self) -> None:
        mark, changed = await self._source.changes_since(self._mark)
        if changed:
            await self._apply(changed, await self._source.articles(changed))
        self._mark = mark

    async def _apply(self, changed: Sequence[str], published: list[Article]) -> None:
        """Puts each language's `published` variants of the `changed` articles into its
        index, and takes the others out (withdrawn, or no longer in that language)."""
        by_language: dict[str, list[Article]] = defaultdict(list)
        for article in published:
            by_language[article.language].append(article)
        for language in self._indexes.keys() | by_language.keys():
            index = self._indexes.get(language)
            if index is None:
                index = BM25Index(self._tokenizer.analyser(language))
            arriving = by_language.get(language, [])
            staying = {article.id for article in arriving}
            leaving = [article_id for article_id in changed if article_id in index and article_id not in staying]
            if not arriving and not leaving:
                continue
            if len(changed) <= self.INLINE_CHANGES:
                _update(index, arriving, leaving)
            else:
                # Searches go on over the index while its copy changes.
                index = index.copy()
                await asyncio.to_thread(_update, index, arriving, leaving)
            self._indexes[language] = index


def _update(index: BM25Index, arriving: list[Article], leaving: list[str]) -> None:
    """Takes `leaving` out of `index` and puts `arriving` in."""
    index.remove(leaving)
    index.put(arriving)
