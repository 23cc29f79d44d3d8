"""A local LibreTranslate: `POST /translate` as LibreTranslate's API documents it.

`LibreTranslateStandIn` takes JSON (or a form) with `q` (a text or a list), `source`, `target`,
`format` and `api_key`, and answers `{"translatedText": ...}` (a list for a list `q`) or
LibreTranslate's error `{"error": "..."}`: 403 "Invalid API key" for a key it does not know,
400 "Please contact the server operator to get an API key" for none (as a server run with
`--api-keys` and a required key), 400 for missing parameters, unknown languages or formats.
It translates deterministically ("[<target>] <text>"), counts requests and characters, and
can be told to fail, to rate-limit (429 with Retry-After) or to stall the next requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from aiohttp import web

from tests.standins.server import TranslatorStandIn, json_object, retry_after_header

API_KEY = "0b6e3d4c-1200-4a11-9d20-dasan0000120"
LANGUAGES = ("ko", "en", "zh", "ja", "vi", "mn")
"""The codes of an Argos install with the hub's languages (older servers: Chinese is `zh`)."""


def translation(text: str, target: str) -> str:
    """What the stand-in answers for `text` into `target` (the server's code)."""
    return f"[{target}] {text}"


def _error(status: int, message: str, retry_after: float | str | None = None) -> web.Response:
    """LibreTranslate's error shape."""
    return web.json_response({"error": message}, status=status, headers=retry_after_header(retry_after))


@dataclass
class LibreTranslateStandIn(TranslatorStandIn):
    """LibreTranslate on 127.0.0.1; `async with` starts and stops it. `received` holds request bodies."""

    api_keys: tuple[str, ...] = (API_KEY,)
    """Keys the server knows; empty: a server run without `--api-keys`, open to all."""
    languages: tuple[str, ...] = LANGUAGES

    def _routes(self, app: web.Application) -> None:
        app.router.add_post("/translate", self._translate)

    # -- behaviour ---------------------------------------------------------------------

    def fail_next(
        self, status: int, times: int = 1, message: str | None = None, retry_after: float | str | None = None
    ) -> None:
        """Answer the next `times` requests with an error in LibreTranslate's shape."""
        defaults = {
            400: "Invalid request: missing q parameter",
            403: "Invalid API key",
            429: "Slowdown: 60 per 1 minute",
            500: "Cannot translate text: model failed",
        }
        self._fail_next(times, partial(_error, status, message or defaults.get(status, "Error"), retry_after))

    def rate_limit_next(self, times: int = 1, retry_after: float | str = 30) -> None:
        """Answer the next `times` requests as the rate limiter does, with a Retry-After."""
        self.fail_next(429, times, retry_after=retry_after)

    # -- the API -----------------------------------------------------------------------

    async def _translate(self, request: web.Request) -> web.Response:
        self.requests += 1
        if (fault := await self._injected_fault()) is not None:
            return fault
        body = await _body(request)
        if body is None:
            return _error(400, "Invalid JSON format")
        key = body.get("api_key")
        if self.api_keys:
            if key and key not in self.api_keys:
                return _error(403, "Invalid API key")
            if not key:
                return _error(400, "Please contact the server operator to get an API key")
        q, source, target = body.get("q"), body.get("source"), body.get("target")
        for name, value in (("q", q), ("source", source), ("target", target)):
            if not value:
                return _error(400, f"Invalid request: missing {name} parameter")
        texts = q if isinstance(q, list) else [q]
        if not all(isinstance(text, str) for text in texts):
            return _error(400, "Invalid request: q must be text")
        for code in (source, target):
            if code not in self.languages:
                return _error(400, f"{code} is not supported")
        text_format = body.get("format") or "text"
        if text_format not in ("text", "html"):
            return _error(400, f"{text_format} format is not supported")
        self._translated(body, texts)
        translated = [translation(text, target) for text in texts]
        return web.json_response({"translatedText": translated if isinstance(q, list) else translated[0]})


async def _body(request: web.Request) -> dict[str, Any] | None:
    """The request's parameters, from JSON or a form, as LibreTranslate reads either."""
    if request.content_type == "application/json":
        return await json_object(request)
    return {key: str(value) for key, value in (await request.post()).items()}
