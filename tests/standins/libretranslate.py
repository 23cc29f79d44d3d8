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

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.standins.server import LocalServer

API_KEY = "0b6e3d4c-1200-4a11-9d20-dasan0000120"
LANGUAGES = ("ko", "en", "zh", "ja", "vi", "mn")
"""The codes of an Argos install with the hub's languages (older servers: Chinese is `zh`)."""


def translation(text: str, target: str) -> str:
    """What the stand-in answers for `text` into `target` (the server's code)."""
    return f"[{target}] {text}"


def _error(status: int, message: str, retry_after: str | None = None) -> web.Response:
    """LibreTranslate's error shape."""
    headers = {"Retry-After": retry_after} if retry_after is not None else None
    return web.json_response({"error": message}, status=status, headers=headers)


@dataclass
class _Fault:
    status: int
    message: str
    times: int
    retry_after: str | None = None
    delay: float = 0.0


@dataclass
class LibreTranslateStandIn:
    """LibreTranslate on 127.0.0.1; `async with` starts and stops it."""

    api_keys: tuple[str, ...] = (API_KEY,)
    """Keys the server knows; empty: a server run without `--api-keys`, open to all."""
    languages: tuple[str, ...] = LANGUAGES
    requests: int = 0
    """Every POST to /translate, answered or not."""
    characters: int = 0
    """Characters of the texts translated."""
    received: list[dict[str, Any]] = field(default_factory=list)
    """The bodies of the requests translated."""
    _faults: list[_Fault] = field(default_factory=list)
    _server: LocalServer = field(init=False)

    def __post_init__(self) -> None:
        self._server = LocalServer(self._routes)

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        await self._server.start()

    async def stop(self) -> None:
        """Stop listening: the engine then meets a refused connection."""
        await self._server.stop()

    def _routes(self, app: web.Application) -> None:
        app.router.add_post("/translate", self._translate)

    async def __aenter__(self) -> LibreTranslateStandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return self._server.url

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
        header = str(retry_after) if retry_after is not None else None
        self._faults.append(_Fault(status, message or defaults.get(status, "Error"), times, header))

    def rate_limit_next(self, times: int = 1, retry_after: float | str = 30) -> None:
        """Answer the next `times` requests as the rate limiter does, with a Retry-After."""
        self.fail_next(429, times, retry_after=retry_after)

    def stall_next(self, seconds: float, times: int = 1) -> None:
        """Hold the next `times` requests for `seconds` before answering (a slow server)."""
        self._faults.append(_Fault(0, "", times, delay=seconds))

    # -- the API -----------------------------------------------------------------------

    async def _translate(self, request: web.Request) -> web.Response:
        self.requests += 1
        if self._faults:
            fault = self._faults[0]
            fault.times -= 1
            if fault.times <= 0:
                self._faults.pop(0)
            if fault.delay:
                await asyncio.sleep(fault.delay)
            else:
                return _error(fault.status, fault.message, fault.retry_after)
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
        self.characters += sum(len(text) for text in texts)
        self.received.append(body)
        translated = [translation(text, target) for text in texts]
        return web.json_response({"translatedText": translated if isinstance(q, list) else translated[0]})


async def _body(request: web.Request) -> dict[str, Any] | None:
    """The request's parameters, from JSON or a form, as LibreTranslate reads either."""
    if request.content_type == "application/json":
        try:
            data = await request.json()
        except ValueError:
            return None
        return data if isinstance(data, dict) else None
    return {key: str(value) for key, value in (await request.post()).items()}
