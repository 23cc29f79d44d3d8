"""LibreTranslate, self-hosted, as its API documents it (the Swagger spec served at /docs).

Request: `POST {url}/translate`, JSON `{"q": [text, ...], "source": "ko", "target": "en",
"format": "text", "api_key": "..."}` (`api_key` only when one is configured). With a list `q`
the answer is a list in the same order: `{"translatedText": ["...", ...]}`.

Errors are JSON `{"error": "<message>"}`:
- 400: a missing parameter, "<code> is not supported", a text or batch over the server's
  limits, or a key the server requires but was not sent ("Please contact the server operator
  to get an API key" / "Visit <link> to get an API key"). Not retryable.
- 403: "Invalid API key" (a key the server does not know). Not retryable. A server with flood
  protection also answers 403 "Too many request limits violations" to a banned address; that
  is treated the same (an administrator has to look).
- 429: "Slowdown: <limit>" from the server's rate limiter. Retryable, after `Retry-After` when
  the server sends one.
- 500: "Cannot translate text: ...". Retryable, as is every 5xx (a proxy in front, a restart).

Chinese: LibreTranslate's Argos models long called Simplified Chinese `zh`, which is what this
engine sends by default; newer servers (and libretranslate.com) list it as `zh-Hans` (with
`zh-Hant` beside it). Pass `chinese="zh-Hans"` when the server's `GET /languages` says so.

Not confirmed from the documentation: whether any LibreTranslate version sends `Retry-After`
with its 429 (Flask-Limiter does so only when its headers are enabled); it is honoured when
present.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp

from model import LANGUAGES
from translation.backends.http import Answer, post
from translation.backends.http import texts as texts_for
from translation.engine import EngineSettings, TranslationFailed

log = logging.getLogger(__name__)


class LibreTranslate:
    """A LibreTranslate server; all six hub languages (Argos has models for each)."""

    name = "libretranslate"

    def __init__(self, settings: EngineSettings, session: aiohttp.ClientSession, *, chinese: str = "zh") -> None:
        if not settings.url:
            raise ValueError("LibreTranslate is self-hosted: EngineSettings.url must name the server")
        self._settings = settings
        self._session = session
        self._url = settings.url.rstrip("/") + "/translate"
        self._codes = {code: code for code in LANGUAGES} | {"zh": chinese}

    def supports(self, source: str, target: str) -> bool:
        return source in self._codes and target in self._codes

    async def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        if not self.supports(source, target):
            raise TranslationFailed(f"LibreTranslate does not translate {source} to {target}")
        if not texts or source == target:
            return list(texts)
        body: dict[str, Any] = {
            "q": list(texts),
            "source": self._codes[source],
            "target": self._codes[target],
            "format": "text",
        }
        if self._settings.key:
            body["api_key"] = self._settings.key
        answer = await self._post(body)
        if answer.status != 200:
            raise _failure(answer)
        translated = answer.body.get("translatedText") if isinstance(answer.body, dict) else None
        if not texts_for(translated, len(texts)):
            raise TranslationFailed("LibreTranslate answered 200 without one translatedText per text")
        return translated

    async def _post(self, body: dict[str, Any]) -> Answer:
        return await post(self._session, self._url, "LibreTranslate", self._settings.timeout_seconds, json=body)


def _failure(answer: Answer) -> TranslationFailed:
    """LibreTranslate's error as the hub needs it: 429 and 5xx are retried, other 4xx are final."""
    message = answer.body.get("error") if isinstance(answer.body, dict) else None
    reason = f"LibreTranslate answered HTTP {answer.status}" + (f": {message}" if message else "")
    if answer.status == 429 or answer.status >= 500:
        return TranslationFailed(reason, retryable=True, retry_after=answer.retry_after)
    if answer.status == 403:
        log.error("LibreTranslate refused the hub (%s); check the engine's API key", reason)
    return TranslationFailed(reason)
