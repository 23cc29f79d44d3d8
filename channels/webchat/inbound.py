"""The web chat's way in: the widget's WebSocket, and the widget's own files and texts.

A citizen's session token lives in the widget's localStorage; the hub knows the citizen by
a digest of it, so a reload or a reconnect finds the same conversation and its history.
The citizen's own message is echoed to their widgets once stored, so the widget settles
its bubble; replies reach the widgets through the outbox (outbound.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import secrets
from pathlib import Path
from typing import Annotated, Any

from aiohttp import WSMsgType, web
from pydantic import BaseModel, ConfigDict, Field

from channels.base import HubPort
from channels.json_body import read_body
from channels.webchat.widgets import CitizenSocket, Widgets, summary
from model import LANGUAGES, Author, Channel, Direction, Inbound, Message
from model.errors import HubError

STATIC = Path(__file__).parent / "static"
MAX_TEXT = 2000
HELLO_TIMEOUT_SECONDS = 15
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


class VideoCodeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    session: Annotated[str, Field(pattern=_TOKEN.pattern)]
    """The widget's session token, as in its socket's hello."""
    language: str = "ko"
    """The page opens in the widget's language."""


def sender_for(session_token: str) -> str:
    """The citizen's id in the store; the token itself never leaves the widget."""
    return "wc-" + hashlib.sha256(session_token.encode()).hexdigest()[:24]


def note_for_agents(message: Message) -> bool:
    """A system note on the citizen's side of the thread (they left): for the console only."""
    return message.author is Author.SYSTEM and message.direction is Direction.IN


class WebchatInbound:
    """The widget's socket and files; keeps the citizens' open widgets in `Widgets`."""

    def __init__(self, hub: HubPort, widgets: Widgets) -> None:
        self._hub = hub
        self._widgets = widgets

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/webchat/ws", self.websocket),
            web.get("/webchat/widget.js", self.widget),
            web.get("/webchat/", self.demo_page),
            web.get("/webchat/i18n/{language}.json", self.texts),
            web.post("/webchat/api/video-code", self.video_code),
        ]

    async def start(self) -> None:
        """Widgets connect to the route; nothing to start."""

    async def close(self) -> None:
        """The open sockets close with the server."""

    # -- static ---------------------------------------------------------------------

    async def widget(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(
            STATIC / "widget.js",
            headers={"Content-Type": "application/javascript; charset=utf-8", "Cache-Control": "no-cache"},
        )

    async def demo_page(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "demo.html")

    async def video_code(self, request: web.Request) -> web.Response:
        """A one-time code that opens the sign-language video page on the chat's contact: the
        session token travels in this request's body, never in the page's URL."""
        body = await read_body(request, VideoCodeBody)
        if body.language not in LANGUAGES:
            raise HubError(400, "unknown_language", f"Languages are {', '.join(LANGUAGES)}.")
        code = await self._hub.video_code(Channel.WEBCHAT, sender_for(body.session))
        url = f"/video/?code={code}&lang={body.language}"
        return web.json_response({"code": code, "url": url}, status=201)

    async def texts(self, request: web.Request) -> web.Response:
        """The widget's texts in one language (messages/<language>.json, `widget.*`)."""
        language = request.match_info["language"]
        if language not in LANGUAGES:
            raise HubError(404, "not_found", f"No texts for language {language!r}.")
        # The widget is embedded on other sites (the city's pages), which fetch these texts.
        return web.json_response(self._hub.texts(language, "widget."), headers={"Access-Control-Allow-Origin": "*"})

    # -- the citizen's socket ---------------------------------------------------------

    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
        """One widget: a hello with its session token, the welcome with the history, then frames."""
        socket = web.WebSocketResponse(heartbeat=25, max_msg_size=64 * 1024)
        await socket.prepare(request)
        try:
            async with asyncio.timeout(HELLO_TIMEOUT_SECONDS):
                hello = await socket.receive_json()
        except (TimeoutError, TypeError, ValueError):
            await socket.close(code=4400, message=b"expected a hello frame")
            return socket
        token = hello.get("session") if isinstance(hello, dict) else None
        if not isinstance(token, str) or not _TOKEN.match(token):
            token = secrets.token_urlsafe(32)
        sender = sender_for(token)
        # Open before the history is read, so a reply delivered meanwhile is not lost.
        citizen = CitizenSocket(socket)
        self._widgets.opened(sender, citizen)
        try:
            conversation, messages = await self._hub.history(Channel.WEBCHAT, sender)
            await citizen.welcome(
                {
                    "type": "welcome",
                    "session": token,
                    "conversation": summary(conversation) if conversation else None,
                    "messages": [m.for_citizen() for m in messages if not note_for_agents(m)],
                }
            )
            async for frame in socket:
                if frame.type is WSMsgType.TEXT:
                    await self._on_frame(socket, sender, frame.data)
        finally:
            self._widgets.closed(sender, citizen)
        return socket

    async def _on_frame(self, socket: web.WebSocketResponse, sender: str, data: str) -> None:
        try:
            frame = json.loads(data)
            kind = frame.get("type")
        except (ValueError, AttributeError, RecursionError):  # not JSON, not an object, nested too deeply
            await _error(socket, "malformed_json", "Frames must be JSON objects.")
            return
        try:
            if kind == "message":
                await self._on_message(socket, sender, frame)
            elif kind == "end":
                await self._hub.citizen_left(Channel.WEBCHAT, sender)
            elif kind != "ping":
                await _error(socket, "unknown_frame", f"Unknown frame type {kind!r}.")
        except HubError as refused:  # the hub's 4xx reaches the widget as an error frame
            await _error(socket, refused.code, refused.message)

    async def _on_message(self, socket: web.WebSocketResponse, sender: str, frame: dict[str, Any]) -> None:
        text, client_id = frame.get("text"), frame.get("client_id")
        if not isinstance(text, str) or not text.strip():
            await _error(socket, "empty_text", "The message is empty.")
            return
        if len(text) > MAX_TEXT:
            await _error(socket, "text_too_long", f"Messages are limited to {MAX_TEXT} characters.")
            return
        if not isinstance(client_id, str) or not 8 <= len(client_id) <= 64:
            await _error(socket, "missing_field", "Each message needs a client_id.")
            return
        language = frame.get("language")
        if language is not None and (not isinstance(language, str) or language not in LANGUAGES):
            await _error(socket, "unknown_language", f"Languages are {', '.join(sorted(LANGUAGES))}.")
            return
        inbound = Inbound(Channel.WEBCHAT, sender, text, provider_message_id=client_id, language=language)
        async with self._widgets.receiving(sender):
            result = await self._hub.receive(inbound)
            # The stored copy settles the widget's bubble (a resend's too), in every open tab.
            _, messages = await self._hub.history(Channel.WEBCHAT, sender)
            for message in messages:
                if message.id == result.message_id:
                    await self._widgets.push(sender, {"type": "message", "message": message.for_citizen()})


async def _error(socket: web.WebSocketResponse, code: str, message: str) -> None:
    await socket.send_json({"type": "error", "error": {"code": code, "message": message}})
