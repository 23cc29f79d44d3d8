"""The web chat channel: an embeddable widget talking to the hub over a WebSocket.

A citizen's session token lives in the widget's localStorage; the hub knows the citizen by
a digest of it, so a reload or a reconnect finds the same conversation and its history.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import secrets
from collections import defaultdict
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from channels.base import Delivered, HubPort
from hub.bus import ConversationChanged, MessageAdded
from hub.desk import MAX_REPLY_CHARS
from model.errors import HubError
from model import Author, Channel, Conversation, Direction, Inbound, Language, Message, MessageStatus

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
MAX_TEXT = 2000
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
_LANGUAGES = {language.value for language in Language}


def sender_for(session_token: str) -> str:
    """The citizen's id in the store; the token itself never leaves the widget."""
    return "wc-" + hashlib.sha256(session_token.encode()).hexdigest()[:24]


def _summary(conversation: Conversation) -> dict[str, Any]:
    return {
        "id": conversation.id,
        "state": conversation.state.value,
        "queue": conversation.queue,
        "queue_position": conversation.queue_position,
    }


def _state_frame(conversation: Conversation) -> dict[str, Any]:
    summary = _summary(conversation)
    return {"type": "state", "conversation_id": summary.pop("id"), **summary}


def _note_for_agents(message: Message) -> bool:
    """A system note on the citizen's side of the thread (they left): for the console only."""
    return message.author is Author.SYSTEM and message.direction is Direction.IN


class CitizenSocket:
    """One open widget. Pushes wait until its welcome is sent, then skip what it carried."""

    def __init__(self, socket: web.WebSocketResponse) -> None:
        self.socket = socket
        self._held: list[dict[str, Any]] | None = []

    async def send(self, frame: dict[str, Any]) -> None:
        if self._held is not None:
            self._held.append(frame)
        elif not self.socket.closed:
            await self.socket.send_json(frame)

    async def welcome(self, frame: dict[str, Any]) -> None:
        await self.socket.send_json(frame)
        carried = {message["id"] for message in frame["messages"]}
        held, self._held = self._held or [], None
        for pending in held:
            if pending["type"] != "message" or pending["message"]["id"] not in carried:
                await self.send(pending)


class WebchatChannel:
    channel = Channel.WEBCHAT
    send_timeout = 5.0
    max_text_chars = MAX_REPLY_CHARS
    sends_per_second = 1000.0

    def __init__(self, hub: HubPort) -> None:
        self._hub = hub
        self._sockets: dict[str, set[CitizenSocket]] = defaultdict(set)
        self._positions: dict[str, tuple[str, int | None]] = {}

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/webchat/ws", self.websocket),
            web.get("/webchat/widget.js", self.widget),
            web.get("/webchat/", self.demo_page),
            web.get("/webchat/i18n/{language}.json", self.texts),
        ]

    # -- static ---------------------------------------------------------------------

    async def widget(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(
            STATIC / "widget.js",
            headers={"Content-Type": "application/javascript; charset=utf-8", "Cache-Control": "no-cache"},
        )

    async def demo_page(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "demo.html")

    async def texts(self, request: web.Request) -> web.Response:
        language = request.match_info["language"]
        if language not in _LANGUAGES:
            raise HubError(404, "not_found", f"No texts for language {language!r}.")
        # The widget is embedded on other sites (the city's pages), which fetch these texts.
        return web.json_response(self._hub.texts(language, "widget."), headers={"Access-Control-Allow-Origin": "*"})

    # -- the citizen's socket ---------------------------------------------------------

    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(heartbeat=25, max_msg_size=64 * 1024)
        await socket.prepare(request)
        try:
            async with asyncio.timeout(15):
                hello = await socket.receive_json()
        except (TimeoutError, TypeError, ValueError):
            await socket.close(code=4400, message=b"expected a hello frame")
            return socket
        token = hello.get("session") if isinstance(hello, dict) else None
        if not isinstance(token, str) or not _TOKEN.match(token):
            token = secrets.token_urlsafe(32)
        sender = sender_for(token)
        # Registered before the history is read, so a reply stored meanwhile is not lost.
        citizen = CitizenSocket(socket)
        self._sockets[sender].add(citizen)
        try:
            conversation, messages = await self._hub.history(Channel.WEBCHAT, sender)
            await citizen.welcome(
                {
                    "type": "welcome",
                    "session": token,
                    "conversation": _summary(conversation) if conversation else None,
                    "messages": [m.for_citizen() for m in messages if not _note_for_agents(m)],
                }
            )
            async for frame in socket:
                if frame.type is WSMsgType.TEXT:
                    await self._on_frame(socket, sender, frame.data)
        finally:
            self._sockets[sender].discard(citizen)
            if not self._sockets[sender]:
                del self._sockets[sender]
                self._positions.pop(sender, None)
        return socket

    async def _on_frame(self, socket: web.WebSocketResponse, sender: str, data: str) -> None:
        try:
            frame = json.loads(data)
            kind = frame.get("type")
        except (ValueError, AttributeError):
            await self._error(socket, "malformed_json", "Frames must be JSON objects.")
            return
        try:
            if kind == "message":
                await self._on_message(socket, sender, frame)
            elif kind == "end":
                await self._hub.citizen_left(Channel.WEBCHAT, sender)
            elif kind != "ping":
                await self._error(socket, "unknown_frame", f"Unknown frame type {kind!r}.")
        except HubError as refused:  # the hub's 4xx reaches the widget as an error frame
            await self._error(socket, refused.code, refused.message)

    async def _on_message(self, socket: web.WebSocketResponse, sender: str, frame: dict[str, Any]) -> None:
        text, client_id = frame.get("text"), frame.get("client_id")
        if not isinstance(text, str) or not text.strip():
            await self._error(socket, "empty_text", "The message is empty.")
            return
        if len(text) > MAX_TEXT:
            await self._error(socket, "text_too_long", f"Messages are limited to {MAX_TEXT} characters.")
            return
        if not isinstance(client_id, str) or not 8 <= len(client_id) <= 64:
            await self._error(socket, "missing_field", "Each message needs a client_id.")
            return
        language = frame.get("language")
        if language is not None and (not isinstance(language, str) or language not in _LANGUAGES):
            await self._error(socket, "unknown_language", f"Languages are {', '.join(sorted(_LANGUAGES))}.")
            return
        inbound = Inbound(Channel.WEBCHAT, sender, text, provider_message_id=client_id, language=language)
        result = await self._hub.receive(inbound)
        if result.duplicate:
            # A resend after a reconnect: the widget needs the stored copy to settle its bubble.
            _, messages = await self._hub.history(Channel.WEBCHAT, sender)
            for message in messages:
                if message.id == result.message_id:
                    await socket.send_json({"type": "message", "message": message.for_citizen()})

    @staticmethod
    async def _error(socket: web.WebSocketResponse, code: str, message: str) -> None:
        await socket.send_json({"type": "error", "error": {"code": code, "message": message}})

    # -- pushing to citizens ------------------------------------------------------------

    async def run(self) -> None:
        """Push every message and state change of web chat conversations to the widgets."""
        async with self._hub.subscribe() as events:
            async for event in events:
                try:
                    if (
                        isinstance(event, MessageAdded)
                        and event.conversation.channel is Channel.WEBCHAT
                        and not _note_for_agents(event.message)
                    ):
                        await self._push(
                            event.conversation.sender, {"type": "message", "message": event.message.for_citizen()}
                        )
                    elif isinstance(event, ConversationChanged):
                        await self._on_conversation(event.conversation)
                except Exception:
                    log.exception("pushing to web chat failed")

    async def _on_conversation(self, conversation: Conversation) -> None:
        if conversation.channel is Channel.WEBCHAT and conversation.sender in self._sockets:
            self._positions[conversation.sender] = (conversation.queue or "", conversation.queue_position)
            await self._push(conversation.sender, _state_frame(conversation))
        # Someone left a queue: the citizens behind them moved up.
        for sender, (queue, position) in list(self._positions.items()):
            if queue != conversation.queue or sender == conversation.sender or position is None:
                continue
            current = await self._hub.conversation(Channel.WEBCHAT, sender)
            if current and current.queue_position != position:
                self._positions[sender] = (current.queue or "", current.queue_position)
                await self._push(sender, _state_frame(current))

    async def _push(self, sender: str, frame: dict[str, Any]) -> None:
        for citizen in list(self._sockets.get(sender, ())):
            await citizen.send(frame)

    async def deliver(self, conversation: Conversation, message: Message) -> Delivered:
        # `run` pushes it; an open widget has it now, a closed one restores it from history.
        return Delivered(MessageStatus.DELIVERED if self._sockets.get(conversation.sender) else MessageStatus.SENT)
