"""The HTTP server under every provider stand-in: 127.0.0.1, and it can come back on its port.

`StandIn` is what every stand-in shares on top of it (start, stop, `async with`, its URLs);
`FaultyStandIn` adds the queue of errors and stalls the tests inject into its next requests;
`TranslatorStandIn` adds what the tests read off every machine-translation API.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Self

from aiohttp import web


class LocalServer:
    """Serves the routes `add_routes` sets; `stop` then `start` listens on the same port again,
    as a provider does after an outage."""

    def __init__(self, add_routes: Callable[[web.Application], None], shutdown_timeout: float = 0.5) -> None:
        self._add_routes = add_routes
        self._shutdown_timeout = shutdown_timeout
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._runner is not None

    async def start(self) -> None:
        app = web.Application()
        self._add_routes(app)
        # No access log: stand-in paths carry tokens, and tests check the hub's logs for them.
        self._runner = web.AppRunner(app, shutdown_timeout=self._shutdown_timeout, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        if not self.port:
            self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


async def json_object(request: web.Request) -> dict[str, Any] | None:
    """The request's JSON body if it is an object; None if it is malformed or anything else, which
    the providers refuse alike."""
    try:
        data = await request.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def retry_after_header(retry_after: float | str | None) -> dict[str, str] | None:
    """The Retry-After header of an error answer, if it has one (seconds or an HTTP date)."""
    return {"Retry-After": str(retry_after)} if retry_after is not None else None


class StandIn:
    """A provider played on 127.0.0.1: a subclass sets its API's `_routes`; `async with` starts
    and stops it, and `stop` then `start` brings it back on the same port, as after an outage."""

    def _routes(self, app: web.Application) -> None:
        raise NotImplementedError

    @cached_property
    def _server(self) -> LocalServer:
        # Made on first use, so dataclass and plain stand-ins need no constructor hook for it.
        return LocalServer(self._routes)

    @property
    def url(self) -> str:
        """Where the stand-in listens (its port is fixed by the first start)."""
        return self._server.url

    @property
    def running(self) -> bool:
        return self._server.running

    @property
    def base_url(self) -> str:
        """What replaces the provider's API root in the client under test."""
        return self.url

    async def start(self) -> None:
        """Listen (again) on the same port; the first start picks a free one."""
        await self._server.start()

    async def stop(self) -> None:
        """Stop listening: the client then meets a refused connection, as when the provider is unreachable."""
        await self._server.stop()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


@dataclass
class _Fault:
    times: int
    answer: Callable[[], web.Response] | None
    """The error to answer with, in the provider's shape; None: a stall of `delay` seconds."""
    delay: float = 0.0


class FaultyStandIn(StandIn):
    """A stand-in that can be told how its next requests go wrong. A subclass's `fail_next` keeps
    its provider's signature and error shape and queues the answer through `_fail_next`; its
    handlers ask `_injected_fault` first."""

    @cached_property
    def _faults(self) -> list[_Fault]:
        return []

    def _fail_next(self, times: int, answer: Callable[[], web.Response]) -> None:
        """Answer the next `times` requests with `answer()` (made afresh: a response is sent once)."""
        self._faults.append(_Fault(times, answer))

    def stall_next(self, seconds: float, times: int = 1) -> None:
        """Hold the next `times` requests for `seconds` before answering (a slow provider)."""
        self._faults.append(_Fault(times, None, delay=seconds))

    async def _injected_fault(self) -> web.Response | None:
        """The queued error this request gets, if any; a stall waits, then lets the request through."""
        if not self._faults:
            return None
        fault = self._faults[0]
        fault.times -= 1
        if fault.times <= 0:
            self._faults.pop(0)
        if fault.answer is None:
            await asyncio.sleep(fault.delay)
            return None
        return fault.answer()


@dataclass(kw_only=True)
class TranslatorStandIn(FaultyStandIn):
    """A machine-translation API: the engines differ in their wire format, not in what a test
    counts. Keyword-only, so each engine's own settings stay its first positional fields."""

    requests: int = 0
    """Every POST to the translation endpoint, answered or not."""
    characters: int = 0
    """Characters of the texts translated (what the engines bill)."""
    received: list[dict[str, Any]] = field(default_factory=list)
    """The parameters of the requests translated, as the engine under test sent them."""

    def _translated(self, params: dict[str, Any], texts: list[str]) -> None:
        """Count a request answered with translations."""
        self.characters += sum(len(text) for text in texts)
        self.received.append(params)
