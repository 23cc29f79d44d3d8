"""What every machine-translation backend is to the hub: texts in, texts out, or an error
that says whether trying again can help."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import aiohttp


class TranslationFailed(Exception):
    """The engine did not translate. `retryable`: a timeout, 5xx or rate limit (try later,
    after `retry_after` seconds when the engine said); not for bad keys or unsupported pairs."""

    def __init__(self, reason: str, retryable: bool = False, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after


class Engine(Protocol):
    name: str
    """Short name for logs, the cache and the cost counters: "libretranslate", "papago", "google"."""

    def supports(self, source: str, target: str) -> bool:
        """Whether the engine translates between these hub languages (ISO 639-1: ko en zh ja vi mn)."""

    async def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        """One translation per text, in order. Raises TranslationFailed."""


@dataclass(frozen=True)
class EngineSettings:
    """Where an engine is and how long to wait for it."""

    url: str
    """The API's base address (a self-hosted LibreTranslate, or a stand-in in tests); empty:
    the engine's public address (Papago, Google)."""
    key: str | None = None
    secret: str | None = None
    """Papago's client secret (X-NCP-APIGW-API-KEY); unused by the others."""
    timeout_seconds: float = 5.0


EngineFactory = Callable[[aiohttp.ClientSession], Engine]
"""Makes an engine on the translator's HTTP client (made inside the running event loop)."""
