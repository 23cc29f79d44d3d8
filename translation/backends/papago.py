"""NAVER Cloud Platform Papago Text Translation, as NCP's API guide documents it.

Request: `POST {url}/nmt/v1/translation` (url https://papago.apigw.ntruss.com; older guides
name https://naveropenapi.apigw.ntruss.com), headers `X-NCP-APIGW-API-KEY-ID: <client ID>`
(settings.key) and `X-NCP-APIGW-API-KEY: <client secret>` (settings.secret), a form-encoded
body `source`, `target`, `text` (one text, at most 5,000 characters). Several texts are sent
as concurrent requests, at most `CONCURRENCY` at a time. The answer:
`{"message": {"@type": "response", ..., "result": {"srcLangType", "tarLangType",
"translatedText"}}}`.

Errors come from NCP's API gateway or from the translator, as
`{"error": {"errorCode": "...", "message": "...", "details"?: "..."}}`; the older Naver
Developers API answered `{"errorCode": "...", "errorMessage": "..."}`, and both are read:
- 400 N2MT01..N2MT08: a missing or unsupported source/target, source equal to target
  (N2MT05), no translator for the pair (N2MT06), a missing or too long text. Not retryable.
- 401 gateway 200 "Authentication Failed" / 210 "Permission Denied": wrong client ID or
  secret. Not retryable. (403 from the old Developers API means the same.)
- 429 gateway 400 "Quota Exceeded", 410 "Throttle Limited", 420 "Rate Limited". Retryable,
  after `Retry-After` when sent. NCP also answers 429 (gateway error 400, "Quota Exceeded")
  when the application was registered without Text Translation selected; that only shows as
  failures that keep being retried.
- 5xx: N2MT99, gateway 500 "Endpoint Error", 510 "Endpoint Timeout", 900 "Unexpected
  Error". Retryable.

Languages: Papago has no Mongolian. Of the hub's pairs it translates Korean to and from
English, Japanese, Chinese and Vietnamese, English to and from Japanese, Chinese and
Vietnamese, and Japanese to and from Chinese and Vietnamese; not Chinese and Vietnamese
(NCP's list of 29 pairs). Chinese is `zh-CN` (Simplified).

Not confirmed from the documentation: whether NCP's gateway sends `Retry-After` with its
429s (honoured when present), and whether N2MT errors carry the gateway's `details` field.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp

from translation.backends.http import Answer, post
from translation.engine import EngineSettings, TranslationFailed

log = logging.getLogger(__name__)

DEFAULT_URL = "https://papago.apigw.ntruss.com"
CONCURRENCY = 4
"""Requests in flight for one `translate` call (Papago takes one text per request)."""

CODES = {"ko": "ko", "en": "en", "zh": "zh-CN", "ja": "ja", "vi": "vi"}
_PAIRS = {("ko", "en"), ("ko", "ja"), ("ko", "zh"), ("ko", "vi"), ("en", "ja"), ("en", "zh"), ("en", "vi")}
_PAIRS |= {("ja", "zh"), ("ja", "vi")}
PAIRS = frozenset(_PAIRS | {(target, source) for source, target in _PAIRS})
"""The hub's language pairs Papago translates, both ways."""


class Papago:
    """Papago on NAVER Cloud Platform; no Mongolian, and not between Chinese and Vietnamese."""

    name = "papago"

    def __init__(self, settings: EngineSettings, session: aiohttp.ClientSession) -> None:
        self._settings = settings
        self._session = session
        self._url = (settings.url or DEFAULT_URL).rstrip("/") + "/nmt/v1/translation"

    def supports(self, source: str, target: str) -> bool:
        return (source, target) in PAIRS or (source == target and source in CODES)

    async def translate(self, texts: list[str], source: str, target: str) -> list[str]:
        if not self.supports(source, target):
            raise TranslationFailed(f"Papago does not translate {source} to {target}")
        if not texts or source == target:
            return list(texts)
        if not (self._settings.key and self._settings.secret):
            raise TranslationFailed("Papago needs a client ID (key) and a client secret (secret)")
        limit = asyncio.Semaphore(CONCURRENCY)

        async def one(text: str) -> str:
            async with limit:
                return await self._translate_one(text, CODES[source], CODES[target])

        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(one(text)) for text in texts]
        except BaseExceptionGroup as failures:
            # The first failure stops the others; the hub needs one reason, not a group.
            first = next((error for error in failures.exceptions if isinstance(error, TranslationFailed)), None)
            if first is None:
                raise
            raise first from None
        return [task.result() for task in tasks]

    async def _translate_one(self, text: str, source: str, target: str) -> str:
        answer = await self._post({"source": source, "target": target, "text": text})
        if answer.status != 200:
            raise _failure(answer)
        message = answer.body.get("message") if isinstance(answer.body, dict) else None
        result = message.get("result") if isinstance(message, dict) else None
        translated = result.get("translatedText") if isinstance(result, dict) else None
        if not isinstance(translated, str):
            raise TranslationFailed("Papago answered 200 without message.result.translatedText")
        return translated

    async def _post(self, form: dict[str, str]) -> Answer:
        headers = {
            "X-NCP-APIGW-API-KEY-ID": self._settings.key or "",
            "X-NCP-APIGW-API-KEY": self._settings.secret or "",
        }
        return await post(
            self._session, self._url, "Papago", self._settings.timeout_seconds, data=form, headers=headers
        )


def _failure(answer: Answer) -> TranslationFailed:
    """Papago's error as the hub needs it: 429 and 5xx are retried, other 4xx are final."""
    code, message = _error_of(answer.body)
    reason = f"Papago answered HTTP {answer.status}" + (f", error {code}" if code else "")
    reason += f": {message}" if message else ""
    if answer.status == 429 or answer.status >= 500:
        return TranslationFailed(reason, retryable=True, retry_after=answer.retry_after)
    if answer.status in (401, 403):
        log.error("Papago refused the hub's credentials (%s); check the engine's client ID and secret", reason)
    return TranslationFailed(reason)


def _error_of(body: Any) -> tuple[str | None, str | None]:
    """(errorCode, message) from NCP's `{"error": {...}}` or the older flat shape."""
    if not isinstance(body, dict):
        return None, None
    error = body.get("error") if isinstance(body.get("error"), dict) else body
    code = error.get("errorCode")
    message = error.get("message") or error.get("errorMessage")
    return (str(code) if code is not None else None), (str(message) if message else None)
