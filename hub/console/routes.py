"""The agent console: its page and the WebSocket that keeps it live."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from hub import supervision
from hub.access import may_read
from hub.bus import AbuseAlert, AgentChanged, ConversationChanged, MessageAdded, MessageChanged, Subscription
from hub.core import HUB, Hub
from model import Agent, ConversationState, Role, iso
from model.clock import utcnow
from model.errors import HubError
from model.masking import mask
from store import agents, conversations, queues

STATIC = Path(__file__).parent / "static"
SNAPSHOT_DELAY = 0.05
"""Changes come in bursts (a handoff touches several rows): one snapshot per burst."""

routes = web.RouteTableDef()


@routes.get("/console/")
async def console_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html")


@routes.get("/console")
async def console_redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound("/console/")


async def snapshot(hub: Hub, agent_id: str) -> dict[str, Any]:
    async with hub.store.read() as session:
        agent = await agents.agent(session, agent_id)
        if agent is None:
            raise HubError(401, "unauthorised", "The agent no longer exists.")
        waiting_states = (ConversationState.QUEUED.value, ConversationState.OFFERED.value)
        queue_list = await queues.queues_with_waiting(session, utcnow())
        visible = None if agent.role.at_least(Role.SUPERVISOR) else set(agent.skills)
        waiting = await conversations.list_conversations(session, waiting_states)
        mine = await conversations.list_conversations(
            session, (ConversationState.OFFERED.value, ConversationState.ASSIGNED.value), agent_id=agent.id
        )
        frame: dict[str, Any] = {
            "type": "snapshot",
            "agent": agent.to_json(),
            "queues": [q.to_json() for q in queue_list],
            "queued": [
                c.to_json()
                for c in waiting
                if c.state is ConversationState.QUEUED and (visible is None or c.queue in visible)
            ],
            "mine": [c.to_json() for c in mine],
            "warnings_to_end": hub.settings.protection.warnings_to_end,
        }
        if agent.role.at_least(Role.SUPERVISOR):
            frame["overview"] = await supervision.overview(session, hub.settings.timezone)
    return frame


@routes.get("/api/v1/console/ws")
async def console_socket(request: web.Request) -> web.WebSocketResponse:
    hub = request.app[HUB]
    agent = await hub.auth.agent(request)
    socket = web.WebSocketResponse(heartbeat=25)
    await socket.prepare(request)
    async with hub.bus.subscribe() as events:
        # Subscribed first, so nothing between the snapshot and the first push is missed.
        await socket.send_json(await snapshot(hub, agent.id))
        pusher = asyncio.create_task(_push(hub, agent, socket, events))
        # A session revoked, expired or idle closes its socket within the recheck interval.
        watcher = asyncio.create_task(hub.auth.close_when_ended(request, socket))
        try:
            async for frame in socket:
                if frame.type is WSMsgType.ERROR:
                    break
        finally:
            for task in (pusher, watcher):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    return socket


def alert_frame(alert: AbuseAlert) -> dict[str, Any]:
    """A threat, talk of self-harm or an emergency, for every supervisor's and admin's console at
    once, with the crisis lines the citizen was given; the text with its personal numbers masked."""
    return {
        "type": "alert",
        "kind": alert.kind,
        "lines": list(alert.lines),
        "emergencies": list(alert.emergencies),
        "conversation_id": alert.conversation.id,
        "message_id": alert.message.id,
        "text": mask(alert.message.text),
        "at": iso(alert.message.created_at),
    }


async def _push(hub: Hub, agent: Agent, socket: web.WebSocketResponse, events: Subscription) -> None:
    pending: asyncio.Task[None] | None = None
    changed = False

    async def send_snapshots() -> None:
        nonlocal changed
        while changed and not socket.closed:
            await asyncio.sleep(SNAPSHOT_DELAY)
            changed = False  # a change from here on is not in this snapshot: loop for another
            await socket.send_json(await snapshot(hub, agent.id))

    async for event in events:
        if socket.closed:
            break
        if isinstance(event, (MessageAdded, MessageChanged)) and may_read(agent, event.conversation):
            await socket.send_json(
                {"type": "message", "conversation_id": event.conversation.id, "message": event.message.for_agent()}
            )
        if isinstance(event, AbuseAlert) and event.reaches(agent):
            await socket.send_json(alert_frame(event))
        if isinstance(event, (ConversationChanged, AgentChanged)):
            changed = True
            if pending is None or pending.done():
                pending = asyncio.create_task(send_snapshots())
    # The subscriber fell too far behind: the console reconnects and starts from a snapshot.
    if not socket.closed:
        await socket.close()
