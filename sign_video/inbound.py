"""The sign-language video call's way in: the citizen asks for a call, then both sides
signal over the hub's WebSockets (`sign_video/signalling.py`).

- `POST /video/api/calls` `{"language"?, "consent"?}`: a new call, queued for an interpreter
  (`sign_language`); answers `{"token", "conversation_id"}`. The token authenticates the
  citizen's socket and never appears in a URL.
- `GET /video/ws`: the citizen's page; `hello` with the token first, then `offer`, `chat`,
  `hangup`.
- `GET /video/agent/ws?conversation=ID`: the interpreter who holds the conversation (the
  console's session); `offer`, `hangup`.
"""

from __future__ import annotations

import asyncio
import logging
import secrets

from aiohttp import WSMsgType, web
from pydantic import BaseModel, ConfigDict

from channels.base import HubPort
from channels.json_body import read_body
from model import LANGUAGES, Channel, Inbound
from model.errors import HubError
from sign_video import signalling
from sign_video.calls import Call, Calls, sender_for

log = logging.getLogger(__name__)
HELLO_SECONDS = 15.0


class CallBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    language: str = "ko"
    consent: bool = False
    """Whether the citizen agreed to the call being recorded: off unless ticked."""


class VideoInbound:
    def __init__(self, hub: HubPort, calls: Calls) -> None:
        self._hub = hub
        self.calls = calls
        """The calls this process carries (shared with the outbound side)."""

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/video/api/calls", self.new_call),
            web.get("/video/ws", self.citizen_socket),
            web.get("/video/agent/ws", self.interpreter_socket),
        ]

    async def start(self) -> None:
        """Nothing to start: pages and the console come to the hub."""

    async def close(self) -> None:
        """End every call this process carries."""
        await self.calls.close()

    async def new_call(self, request: web.Request) -> web.Response:
        body = await read_body(request, CallBody)
        if body.language not in LANGUAGES:
            raise HubError(400, "unknown_language", f"Languages are {', '.join(LANGUAGES)}.")
        token = secrets.token_urlsafe(32)
        sender = sender_for(token)
        text = self._hub.texts(body.language, "sign_video.")["sign_video.request"]
        # Refused before anything is stored: a call the hub cannot carry leaves no conversation.
        if not self.calls.reserve():
            raise HubError(503, "video_busy", "All video lines are busy; please try again in a few minutes.")
        try:
            # Asking for the call is the citizen's first message: it hands the conversation to the
            # people-only sign_language queue, with its place and the events of every other channel.
            result = await self._hub.receive(Inbound(Channel.SIGN_VIDEO, sender, text, language=body.language))
        except BaseException:
            self.calls.release()
            raise
        self.calls.open(result.conversation_id, sender, body.consent)
        return web.json_response({"token": token, "conversation_id": result.conversation_id}, status=201)

    async def citizen_socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(heartbeat=10, max_msg_size=signalling.MAX_SDP_CHARS * 2)
        await socket.prepare(request)
        call = await self._hello(socket)
        if call is None:
            return socket
        await call.citizen_connected(socket)
        # The call may have changed before it was registered or the page connected: show it now.
        if (current := await self._hub.conversation(Channel.SIGN_VIDEO, call.sender)) is not None:
            await call.show(current)
        try:
            async for frame in socket:
                if frame.type is WSMsgType.TEXT and await self._from_citizen(socket, call, frame.data):
                    break  # the citizen hung up
        finally:
            # A page that goes away ends its call (resuming on a new socket is still to come).
            await self._hub.citizen_left(Channel.SIGN_VIDEO, call.sender)
            await self.calls.end(call)
        return socket

    async def _hello(self, socket: web.WebSocketResponse) -> Call | None:
        try:
            async with asyncio.timeout(HELLO_SECONDS):
                first = signalling.load(await socket.receive_str())
        except (TimeoutError, TypeError, HubError):
            await socket.close(code=4400, message=b"expected a hello frame")
            return None
        call = self.calls.by_sender(sender_for(first.token)) if isinstance(first, signalling.Hello) else None
        if call is None:
            await socket.close(code=4401, message=b"unknown call")
        return call

    async def _from_citizen(self, socket: web.WebSocketResponse, call: Call, data: str) -> bool:
        """Handle one frame from the citizen's page; True when the citizen hung up."""
        try:
            frame = signalling.load(data)
            if isinstance(frame, signalling.Offer):
                answer = await call.media.offer("citizen", frame.sdp)
                if call.consent:
                    await call.media.start_recording()
                await socket.send_str(signalling.dump(signalling.Answer(answer)))
            elif isinstance(frame, signalling.Chat):
                await self._hub.receive(Inbound(Channel.SIGN_VIDEO, call.sender, frame.text))
            elif isinstance(frame, signalling.Hangup):
                return True
            else:
                raise HubError(400, "unexpected_frame", f"A page does not send '{frame.type}' frames.")
        except HubError as refused:
            await socket.send_str(signalling.dump(signalling.Error(refused.code, refused.message)))
        return False

    async def interpreter_socket(self, request: web.Request) -> web.WebSocketResponse:
        conversation_id = request.query.get("conversation", "")
        await self._hub.agent_holding(request, conversation_id)  # before anything is upgraded
        call = self.calls.by_conversation(conversation_id)
        if call is None:
            raise HubError(404, "not_found", "This conversation has no video call in this process.")
        socket = web.WebSocketResponse(heartbeat=10, max_msg_size=signalling.MAX_SDP_CHARS * 2)
        await socket.prepare(request)
        call.interpreter = socket
        async for frame in socket:
            if frame.type is not WSMsgType.TEXT:
                continue
            try:
                found = signalling.load(frame.data)
                if isinstance(found, signalling.Offer):
                    answer = await call.media.offer("interpreter", found.sdp)
                    await socket.send_str(signalling.dump(signalling.Answer(answer)))
                elif isinstance(found, signalling.Hangup):
                    break
                else:
                    raise HubError(400, "unexpected_frame", f"The console does not send '{found.type}' frames here.")
            except HubError as refused:
                await socket.send_str(signalling.dump(signalling.Error(refused.code, refused.message)))
        if call.interpreter is socket:
            call.interpreter = None
        return socket
