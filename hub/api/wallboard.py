"""The supervisors' wallboard: its page, its figures as JSON, and the socket that pushes them."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiohttp import WSMsgType, web

from hub.bus import AgentChanged, ConversationChanged, Subscription
from hub.console.routes import STATIC
from hub.core import HUB, Hub
from hub.wallboard import wallboard_frame
from model import Role
from model.clock import utcnow

BURST_SECONDS = 0.25
"""A handoff or an accept changes several rows at once: one frame per burst of changes."""
WAITING_TICK_SECONDS = 5.0
"""While anyone waits the oldest wait grows without any event: a fresh frame this often."""
IDLE_REFRESH_SECONDS = 60.0
"""When nothing happens a frame still comes this often: the wall shows it is alive, and today
becomes the new day at midnight."""

routes = web.RouteTableDef()


@routes.get("/console/wallboard/")
async def wallboard_page(request: web.Request) -> web.FileResponse:
    """The wall screen; it reads the console's session and opens the socket itself."""
    return web.FileResponse(STATIC / "wallboard.html")


@routes.get("/console/wallboard")
async def wallboard_redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound("/console/wallboard/")


async def _frame(hub: Hub) -> dict[str, Any]:
    async with hub.store.read() as session:
        return await wallboard_frame(session, hub.settings.timezone, utcnow(), hub.settings.report_targets)


@routes.get("/api/v1/wallboard")
async def wallboard(request: web.Request) -> web.Response:
    """The wallboard's frame once, for whoever cannot keep a socket open."""
    hub = request.app[HUB]
    await hub.auth.agent(request, Role.SUPERVISOR)
    return web.json_response(await _frame(hub))


@routes.get("/api/v1/wallboard/ws")
async def wallboard_socket(request: web.Request) -> web.WebSocketResponse:
    """A full frame on connect, after every burst of changes, and every few seconds while anyone waits."""
    hub = request.app[HUB]
    await hub.auth.agent(request, Role.SUPERVISOR)
    socket = web.WebSocketResponse(heartbeat=25)
    await socket.prepare(request)
    async with hub.bus.subscribe() as events:
        # Subscribed first, so no change between the first frame and the first push is missed.
        changed = asyncio.Event()
        listener = asyncio.create_task(_listen(events, changed, socket))
        pusher = asyncio.create_task(_push(hub, socket, changed))
        try:
            async for message in socket:
                if message.type is WSMsgType.ERROR:
                    break
        finally:
            for task in (listener, pusher):
                task.cancel()
            for task in (listener, pusher):
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    return socket


async def _listen(events: Subscription, changed: asyncio.Event, socket: web.WebSocketResponse) -> None:
    async for event in events:
        if isinstance(event, (ConversationChanged, AgentChanged)):
            changed.set()
    # The bus closed (the hub stops) or this subscriber fell behind: the page reconnects for a fresh start.
    await socket.close()


async def _push(hub: Hub, socket: web.WebSocketResponse, changed: asyncio.Event) -> None:
    while not socket.closed:
        frame = await _frame(hub)
        try:
            await socket.send_json(frame)
        except ConnectionResetError:
            return  # the page went away between two frames
        waiting = frame["today"]["waiting"] > 0
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), WAITING_TICK_SECONDS if waiting else IDLE_REFRESH_SECONDS)
        await asyncio.sleep(BURST_SECONDS)
        # Changes from here on are not in the next frame's read yet; they set the flag again.
        changed.clear()
