"""The citizens' open widgets, which both sides of the web chat share: the inbound side
opens and closes them and echoes the citizen's own messages, the outbound side pushes
replies and queue positions to them."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from model import Conversation

Frame = dict[str, Any]


def summary(conversation: Conversation) -> dict[str, Any]:
    """The conversation as the widget's welcome names it."""
    return {
        "id": conversation.id,
        "state": conversation.state.value,
        "queue": conversation.queue,
        "queue_position": conversation.queue_position,
    }


def state_frame(conversation: Conversation) -> Frame:
    """The conversation's state and queue position, pushed when they change."""
    named = summary(conversation)
    return {"type": "state", "conversation_id": named.pop("id"), **named}


class CitizenSocket:
    """One open widget. Pushes wait until its welcome is sent, then skip what it carried."""

    def __init__(self, socket: web.WebSocketResponse) -> None:
        self.socket = socket
        self._held: list[Frame] | None = []

    async def send(self, frame: Frame) -> None:
        if self._held is not None:
            self._held.append(frame)
        elif not self.socket.closed:
            await self.socket.send_json(frame)

    async def welcome(self, frame: Frame) -> None:
        """Send the welcome (the history), then what was pushed meanwhile and it lacks."""
        await self.socket.send_json(frame)
        carried = {message["id"] for message in frame["messages"]}
        held, self._held = self._held or [], None
        for pending in held:
            if pending["type"] != "message" or pending["message"]["id"] not in carried:
                await self.send(pending)


class Widgets:
    """Open widgets by sender (a citizen may have several tabs open)."""

    def __init__(self) -> None:
        self._sockets: dict[str, set[CitizenSocket]] = defaultdict(set)
        self._receiving: dict[str, set[asyncio.Event]] = defaultdict(set)
        self.positions: dict[str, tuple[str, int | None]] = {}
        """Sender → the queue and position their widgets show, while they have one open."""

    def opened(self, sender: str, citizen: CitizenSocket) -> None:
        self._sockets[sender].add(citizen)

    def closed(self, sender: str, citizen: CitizenSocket) -> None:
        self._sockets[sender].discard(citizen)
        if not self._sockets[sender]:
            del self._sockets[sender]
            self.positions.pop(sender, None)

    def is_open(self, sender: str) -> bool:
        return sender in self._sockets

    async def push(self, sender: str, frame: Frame) -> bool:
        """Send a frame to every open widget of the sender; whether there was one."""
        citizens = list(self._sockets.get(sender, ()))
        for citizen in citizens:
            await citizen.send(frame)
        return bool(citizens)

    @asynccontextmanager
    async def receiving(self, sender: str) -> AsyncIterator[None]:
        """The citizen's message is being stored and echoed; their replies wait for the echo."""
        done = asyncio.Event()
        self._receiving[sender].add(done)
        try:
            yield
        finally:
            done.set()
            self._receiving[sender].discard(done)
            if not self._receiving[sender]:
                del self._receiving[sender]

    async def echoed(self, sender: str, timeout: float) -> None:
        """Wait (at most `timeout`) until the citizen's messages being stored now are echoed,
        so that the widget shows a question before its answer."""
        pending = list(self._receiving.get(sender, ()))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                for done in pending:
                    await done.wait()
