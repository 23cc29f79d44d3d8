"""Google Cloud Translation Basic (v2) with an API key, as Google's REST reference documents it.

Request: `POST {url}/language/translate/v2?key=<API key>` (url https://translation.googleapis.com),
JSON `{"q": [text, ...], "source": "ko", "target": "en", "format": "text"}`; at most
`MAX_SEGMENTS` (128) texts a request, so longer batches go as several requests in turn. The
answer: `{"data": {"translations": [{"translatedText": "..."}, ...]}}`, in the order of `q`.
`format` must be "text": with "html" (the API's default) translations come back HTML-escaped.

Errors are Google's JSON error:
`{"error": {"code": 400, "message": "...", "errors": [{"message", "domain", "reason"}],
"status": "INVALID_ARGUMENT", "details"?: [...]}}`:
- 400 INVALID_ARGUMENT: a bad language or request ("Invalid Value", reason `invalid`), or a
  wrong key ("API key not valid. Please pass a valid API key.", reason `badRequest`, with an
  ErrorInfo detail `API_KEY_INVALID`; older answers say reason `keyInvalid`). Not retryable.
- 403 PERMISSION_DENIED: no key ("The request is missing a valid API key."), the API not
  enabled, key restrictions (reasons `forbidden`, `accessNotConfigured`...). Not retryable.
  But 403 with reason `rateLimitExceeded`, `userRateLimitExceeded` or `dailyLimitExceeded`
  (domain `usageLimits`) is a quota: retryable.
- 429 RESOURCE_EXHAUSTED ("Quota exceeded for quota metric ... per minute", reason
  `rateLimitExceeded`): retryable, after `Retry-After` when sent.
- 5xx (INTERNAL `backendError`, UNAVAILABLE): retryable.

The key travels in the query string as the v2 reference shows, so no URL is ever put in a
reason or a log line, and the key is masked in any text that reaches one.

Chinese is sent as `zh-CN` (Simplified, as Google lists it); Mongolian is `mn`.

Not confirmed from the documentation: whether Translation v2 sends `Retry-After` (honoured
when present), and the exact message for more than 128 segments (any 400 is final).
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp

from translation.backends.http import Answer, post
from translation.backends.http import texts as texts_for
from translation.engine import EngineSettings, TranslationFailed

log = logging.getLogger(__name__)

DEFAULT_URL = "https://translation.googleapis.com"
MAX_SEGMENTS = 128
"""Texts Translation v2 takes in one request."""

CODES = {"ko": "ko", "en": "en", "zh": "zh-CN", "ja": "ja", "vi": "vi", "mn": "mn"}
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "dailyLimitExceeded"})
_KEY_REASONS = frozenset({"keyInvalid", "keyExpired", "API_KEY_INVALID", "API_KEY_EXPIRED"})


class GoogleTranslate:
    """Google Cloud Translation Basic (v2); all six hub languages."""

    name = "google"

    def __init__(self, settings: EngineSettings, session: aiohttp.ClientSession) -> None:
        self._settings = settings
        self._session = session
        self._url = (settings.url or DEFAULT_URL).rstrip("/") + "/language/translate/v2"

    def supports(self, source: str, target: str) -> bool:
        return source in CODES and target in CODES

    async def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        if not self.supports(source, target):
            raise TranslationFailed(f"Google Translate does not translate {source} to {target}")
        if not texts or source == target:
            return list(texts)
        if not self._settings.key:
            raise TranslationFailed("Google Translate needs an API key (key)")
        translated: list[str] = []
        for start in range(0, len(texts), MAX_SEGMENTS):
            chunk = list(texts[start : start + MAX_SEGMENTS])
            body = {"q": chunk, "source": CODES[source], "target": CODES[target], "format": "text"}
            answer = await self._post(body)
            if answer.status != 200:
                raise self._failure(answer)
            data = answer.body.get("data") if isinstance(answer.body, dict) else None
            items = data.get("translations") if isinstance(data, dict) else None
            chunk_translated = [item.get("translatedText") for item in items or () if isinstance(item, dict)]
            if not texts_for(chunk_translated, len(chunk)):
                raise TranslationFailed("Google Translate answered 200 without one translation per text")
            translated.extend(chunk_translated)
        return translated

    async def _post(self, body: dict[str, Any]) -> Answer:
        params = {"key": self._settings.key or ""}
        return await post(self._session, self._url, "Google Translate", self._settings.timeout_seconds,
                          self._masked, params=params, json=body)  # fmt: skip

    def _failure(self, answer: Answer) -> TranslationFailed:
        """Google's error as the hub needs it: quotas, 429 and 5xx are retried, other 4xx are final."""
        error = answer.body.get("error") if isinstance(answer.body, dict) else None
        error = error if isinstance(error, dict) else {}
        reasons = _reasons(error)
        status = error.get("status")
        message = error.get("message")
        reason = f"Google Translate answered HTTP {answer.status}" + (f" {status}" if status else "")
        reason += f" ({', '.join(sorted(reasons))})" if reasons else ""
        reason = self._masked(reason + (f": {message}" if message else ""))
        if answer.status == 429 or answer.status >= 500 or reasons & RATE_LIMIT_REASONS:
            return TranslationFailed(reason, retryable=True, retry_after=answer.retry_after)
        if answer.status in (401, 403) or reasons & _KEY_REASONS:
            log.error("Google Translate refused the hub's API key (%s); check the engine's key", reason)
        return TranslationFailed(reason)

    def _masked(self, text: str) -> str:
        key = self._settings.key
        return text.replace(key, "***") if key else text


def _reasons(error: dict[str, Any]) -> set[str]:
    """The `reason`s of `errors[]` and of ErrorInfo `details[]`."""
    found = set()
    for field in ("errors", "details"):
        items = error.get(field)
        for item in items if isinstance(items, list) else ():
            if isinstance(item, dict) and isinstance(item.get("reason"), str):
                found.add(item["reason"])
    return found
