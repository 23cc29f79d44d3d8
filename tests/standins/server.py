"""The HTTP server under every provider stand-in: 127.0.0.1, and it can come back on its port."""

from __future__ import annotations

from collections.abc import Callable

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
