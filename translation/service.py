"""The hub's one translator: picks an engine per language pair, keeps Seoul's names through
the glossary, answers repeated texts from the store's cache, counts what each engine was
sent, and gives up within a deadline so that no message ever waits on it."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

import aiohttp

from model import AGENT_LANGUAGE
from model.masking import masked
from store import translations as cache
from store.db import Store
from translation.engine import Engine, EngineFactory, TranslationFailed
from translation.glossary import Glossary

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Translation:
    text: str | None
    """The translation; None when it is unavailable (then `error` says why)."""
    engine: str | None = None
    cached: bool = False
    error: str | None = None


@dataclass(frozen=True)
class TranslatorSettings:
    deadline_seconds: float = 8.0
    """Everything one translation may take: engines, retries, fallbacks."""
    attempts: int = 2
    """Tries per engine for an error that may pass (timeout, 5xx, rate limit)."""
    zone: ZoneInfo = ZoneInfo("Asia/Seoul")
    """The city's time zone: usage is counted per city day."""
    routes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Foreign language → engine names to ask first for it (both directions with Korean);
    engines not named follow in the general order."""


class Translator:
    """Engines in order of preference; for each pair the first that supports it is asked,
    and the next one when it fails. The engines share one HTTP client, made on first use
    inside the hub's event loop and closed by `close()`."""

    def __init__(
        self,
        engines: Sequence[EngineFactory],
        store: Store,
        glossary: Glossary,
        clock: Callable[[], datetime],
        settings: TranslatorSettings | None = None,
    ) -> None:
        self._factories = list(engines)
        self._client: aiohttp.ClientSession | None = None
        self._made: list[Engine] | None = None
        self._store = store
        self._glossary = glossary
        self._clock = clock
        self.settings = settings or TranslatorSettings()

    @property
    def _engines(self) -> list[Engine]:
        if self._made is None:
            self._client = aiohttp.ClientSession()
            self._made = [factory(self._client) for factory in self._factories]
        return self._made

    @property
    def configured(self) -> bool:
        return bool(self._factories)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()

    def available(self, source: str, target: str) -> bool:
        """Whether some engine translates this pair (no engine configured: never)."""
        return self.configured and any(engine.supports(source, target) for engine in self._engines)

    async def translate(self, text: str, source: str, target: str) -> Translation:
        """`text` in `target`; never raises and never takes longer than the deadline. Personal
        numbers never leave the hub: the engine (and the cache) get them masked, and each mask
        the engine kept gets its number back in the translation."""
        hidden = masked(text)
        found = await self._translate(hidden.text, source, target)
        return replace(found, text=hidden.restore(found.text)) if found.text is not None else found

    async def _translate(self, text: str, source: str, target: str) -> Translation:
        if source == target or not text.strip():
            return Translation(text)
        engines = self._engines_for(source, target)
        if not engines:
            return Translation(None, error=f"no translation engine for {source}→{target}")
        digest = hashlib.sha256(text.encode()).hexdigest()
        async with self._store.read() as session:
            known = await cache.cached(session, source, target, digest)
        if known is not None:
            return Translation(known.translated, known.engine, cached=True)
        try:
            async with asyncio.timeout(self.settings.deadline_seconds):
                return await self._ask(engines, text, source, target, digest)
        except TimeoutError:
            return Translation(None, error=f"no translation within {self.settings.deadline_seconds:g} s")

    def _engines_for(self, source: str, target: str) -> list[Engine]:
        """The engines that translate the pair, the ones routed for its foreign language first."""
        foreign = target if source == AGENT_LANGUAGE else source
        preferred = self.settings.routes.get(foreign, ())
        engines = [engine for engine in self._engines if engine.supports(source, target)]
        rank = {name: position for position, name in enumerate(preferred)}
        return sorted(engines, key=lambda engine: rank.get(engine.name, len(rank)))  # stable: general order

    async def _ask(self, engines: list[Engine], text: str, source: str, target: str, digest: str) -> Translation:
        prepared = self._glossary.apply(text, source, target)
        reasons = []
        for engine in engines:
            for attempt in range(1, self.settings.attempts + 1):
                try:
                    [translated] = await engine.translate([prepared], source, target)
                except TranslationFailed as failure:
                    await self._count(engine.name, prepared)
                    log.warning("%s failed on %s→%s (attempt %d): %s", engine.name, source, target, attempt,
                                failure.reason)  # fmt: skip
                    reasons.append(f"{engine.name}: {failure.reason}")
                    if not failure.retryable or attempt == self.settings.attempts:
                        break
                    await asyncio.sleep(min(failure.retry_after or 0.5 * attempt, self.settings.deadline_seconds))
                    continue
                await self._count(engine.name, prepared, remember=(source, target, digest, translated))
                return Translation(translated, engine.name)
        return Translation(None, error="; ".join(reasons))

    async def _count(self, engine: str, sent: str, remember: tuple[str, str, str, str] | None = None) -> None:
        """One request to `engine` for its bill: failed unless it brought a translation
        (`remember`: source, target, digest, text), which the cache keeps in the same transaction."""
        now = self._clock()
        day = now.astimezone(self.settings.zone).date().isoformat()
        async with self._store.write() as session:
            await cache.count(session, day, engine, len(sent), failed=remember is None)
            if remember is not None:
                source, target, digest, translated = remember
                await cache.remember(session, source, target, digest, engine, translated, now)
