"""The sign-language video call's way in: the citizen's page, the call it asks for, and both
sides' signalling over the hub's WebSockets (`sign_video/signalling.py`).

- `GET /video/`: the citizen's page (`static/`), its texts at `/video/i18n/{language}.json`.
- `POST /video/api/calls` `{"language"?, "consent"?, "code"?}`: a new call, queued for an
  interpreter (`sign_language`); answers `{"token", "conversation_id"}`. The token
  authenticates the citizen's socket and never appears in a URL; `code`, from the web chat,
  puts the call on the chat's contact.
- `GET /video/ws`: the citizen's page; `hello` with the token first, then `offer`, `chat`,
  `hangup`. A page that drops may come back with the same token and a new offer.
- `GET /video/agent/ws?conversation=ID`: the interpreter who holds the conversation (the
  console's session); `offer`, `hangup`.
- `GET /video/api/conversations/{id}/recordings[/{name}]`: the call's recordings, for supervisors.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from datetime import timedelta
from pathlib import Path

from aiohttp import WSMsgType, web
from pydantic import BaseModel, ConfigDict, Field

from channels.base import HubPort
from channels.json_body import read_body
from model import LANGUAGES, Channel, Inbound
from model.clock import utcnow
from model.errors import HubError, not_found
from sign_video import signalling
from sign_video.archive import Archive
from sign_video.calls import Call, Calls, sender_for
from sign_video.media import SideState
from sign_video.settings import Settings
from sign_video.signalling import Side

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
HELLO_SECONDS = 15.0
SWEEP_SECONDS = 3600.0


class CallBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    language: str = "ko"
    consent: bool = False
    """Whether the citizen agreed to the call being recorded: off unless ticked."""
    code: str | None = Field(default=None, max_length=64)
    """A one-time code from the web chat: the call joins that chat's contact."""


class VideoInbound:
    def __init__(self, hub: HubPort, calls: Calls, settings: Settings) -> None:
        self._hub = hub
        self.calls = calls
        """The calls this process carries (shared with the outbound side)."""
        self._times = settings.times
        self.archive = Archive(settings.media.recordings, settings.retention)
        self._retention_days = settings.retention / timedelta(days=1)
        self._config = signalling.Config(
            tuple(
                signalling.IceServer(url, settings.media.turn_username, settings.media.turn_credential)
                if url.startswith("turn")
                else signalling.IceServer(url)
                for url in settings.media.ice_servers
            )
        )
        self._sweeper: asyncio.Task[None] | None = None

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/video", self.page_redirect),
            web.get("/video/", self.page),
            web.get("/video/video.js", self.static_file),
            web.get("/video/video.css", self.static_file),
            web.get("/video/i18n/{language}.json", self.texts),
            web.post("/video/api/calls", self.new_call),
            web.get("/video/ws", self.citizen_socket),
            web.get("/video/agent/ws", self.interpreter_socket),
            web.get("/video/api/conversations/{conversation_id}/recordings", self.recordings),
            web.get("/video/api/conversations/{conversation_id}/recordings/{name}", self.recording),
        ]

    async def start(self) -> None:
        """Start deleting recordings past their retention (now, and every hour)."""
        self._sweeper = asyncio.create_task(self._sweep())

    async def close(self) -> None:
        """End every call this process carries."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        await self.calls.close()

    # The page

    async def page(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def page_redirect(self, request: web.Request) -> web.Response:
        raise web.HTTPFound("/video/" + (f"?{request.query_string}" if request.query_string else ""))

    async def static_file(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / Path(request.path).name, headers={"Cache-Control": "no-cache"})

    async def texts(self, request: web.Request) -> web.Response:
        """The page's texts in one language (messages/<language>.json, `video.*`)."""
        language = request.match_info["language"]
        if language not in LANGUAGES:
            raise HubError(404, "not_found", f"No texts for language {language!r}.")
        # The consent text names the retention this hub is configured with.
        days = f"{self._retention_days:g}"
        texts = {key: text.replace("{days}", days) for key, text in self._hub.texts(language, "video.").items()}
        return web.json_response(texts)

    # The citizen

    async def new_call(self, request: web.Request) -> web.Response:
        body = await read_body(request, CallBody)
        if body.language not in LANGUAGES:
            raise HubError(400, "unknown_language", f"Languages are {', '.join(LANGUAGES)}.")
        token = secrets.token_urlsafe(32)
        sender = sender_for(token)
        text = self._hub.texts(body.language, "video.")["video.request"]
        # Refused before anything is stored: a call the hub cannot carry leaves no conversation.
        if not self.calls.reserve():
            raise HubError(503, "video_busy", "All video lines are busy; please try again in a few minutes.")
        try:
            opened_from = self._hub.redeem_video_code(body.code) if body.code is not None else None
            if body.code is not None and opened_from is None:
                raise HubError(404, "unknown_video_code", "This video link has expired or was already used.")
            # Asking for the call is the citizen's first message: it hands the conversation to the
            # people-only sign_language queue, with its place and the events of every other channel.
            inbound = Inbound(Channel.SIGN_VIDEO, sender, text, language=body.language, opened_from=opened_from)
            result = await self._hub.receive(inbound)
        except BaseException:
            self.calls.release()
            raise
        call = self.calls.open(result.conversation_id, sender, body.consent, on_media=self._media_changed)
        call.later("connect", self._times.connect, lambda: self._citizen_gone(call))
        return web.json_response({"token": token, "conversation_id": result.conversation_id}, status=201)

    async def citizen_socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(heartbeat=5, max_msg_size=signalling.MAX_SDP_CHARS * 2)
        await socket.prepare(request)
        call = await self._hello(socket)
        if call is None:
            return socket
        call.cancel("connect")
        call.cancel("citizen")
        await socket.send_str(signalling.dump(self._config))
        await call.citizen_connected(socket)
        # The call may have changed before the page (re)connected: show where it stands now.
        if (current := await self._hub.conversation(Channel.SIGN_VIDEO, call.sender)) is not None:
            await call.show(current)
        hung_up = False
        try:
            async for frame in socket:
                if frame.type is WSMsgType.TEXT and await self._from_side("citizen", socket, call, frame.data):
                    hung_up = True
                    break
        finally:
            if hung_up:
                await self._citizen_gone(call)
            elif call.citizen is socket and self.calls.carries(call):
                # A network change, most likely: the page comes back with its token, or the call ends.
                call.later("citizen", self._times.resume, lambda: self._citizen_gone(call))
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

    async def _from_side(self, side: Side, socket: web.WebSocketResponse, call: Call, data: str) -> bool:
        """Handle one frame from the citizen's page or the interpreter's console; True when that
        side hung up. Only the citizen's page writes beside the call here: the interpreter's
        text is the conversation's replies."""
        try:
            frame = signalling.load(data)
            if isinstance(frame, signalling.Offer):
                answer = await call.media.offer(side, frame.sdp)
                if side == "citizen" and call.consent:
                    await call.media.start_recording()
                call.report_quality(self._times.quality)
                await socket.send_str(signalling.dump(signalling.Answer(answer)))
            elif isinstance(frame, signalling.Chat) and side == "citizen":
                await self._hub.receive(Inbound(Channel.SIGN_VIDEO, call.sender, frame.text))
            elif isinstance(frame, signalling.Hangup):
                return True
            else:
                raise HubError(400, "unexpected_frame", f"The {side}'s side does not send '{frame.type}' frames.")
        except HubError as refused:
            await socket.send_str(signalling.dump(signalling.Error(refused.code, refused.message)))
        return False

    async def _citizen_gone(self, call: Call) -> None:
        """The citizen hung up, or their page never came (back): the conversation says so (a
        waiting one is abandoned, an interpreter's stays for its disposition) and the call ends."""
        if not self.calls.carries(call):
            return
        await call.to_interpreter(signalling.Hangup("citizen"))
        await self._hub.citizen_left(Channel.SIGN_VIDEO, call.sender)
        await self.calls.end(call)

    # The interpreter

    async def interpreter_socket(self, request: web.Request) -> web.WebSocketResponse:
        conversation_id = request.query.get("conversation", "")
        agent = await self._hub.agent_holding(request, conversation_id)  # before anything is upgraded
        call = self.calls.by_conversation(conversation_id)
        if call is None:
            raise HubError(404, "not_found", "This conversation has no video call in this process.")
        socket = web.WebSocketResponse(heartbeat=5, max_msg_size=signalling.MAX_SDP_CHARS * 2)
        await socket.prepare(request)
        call.cancel("interpreter")
        await socket.send_str(signalling.dump(self._config))
        await call.interpreter_connected(socket, agent.id)
        if (current := await self._hub.conversation(Channel.SIGN_VIDEO, call.sender)) is not None:
            await call.show(current)  # "connected" again after a "reconnecting"
        hung_up = False
        async for frame in socket:
            if frame.type is WSMsgType.TEXT and await self._from_side("interpreter", socket, call, frame.data):
                hung_up = True
                break
        if hung_up:
            # The media ends; the conversation stays with the interpreter for its disposition.
            await call.tell(signalling.State("ended"))
            await self.calls.end(call)
        elif call.interpreter is socket and self.calls.carries(call):
            await self._interpreter_dropped(call, agent.id)
        return socket

    async def _interpreter_dropped(self, call: Call, agent_id: str) -> None:
        """The interpreter's console or media went away: the citizen is told, and unless it comes
        back in time the call goes to the front of the queue for another interpreter."""
        await call.tell(signalling.State("reconnecting"))

        async def requeue() -> None:
            await call.drop_interpreter()
            await self._hub.agent_lost(call.conversation_id, agent_id)

        call.later("interpreter", self._times.interpreter, requeue)

    def _media_changed(self, call: Call, side: Side, state: SideState) -> None:
        """An interpreter whose media is lost while the console stays is treated like one whose
        console went; media that comes back in time keeps the call."""
        agent_id = call.interpreter_id
        if side != "interpreter" or agent_id is None:
            return
        if state is SideState.LOST:
            call.later("media", 0, lambda: self._interpreter_dropped(call, agent_id))
        elif state is SideState.CONNECTED and "interpreter" in call.timers:
            call.cancel("interpreter")
            call.later("media", 0, lambda: call.tell(signalling.State("connected")))

    # Recordings

    async def recordings(self, request: web.Request) -> web.Response:
        """The conversation's recordings, for supervisors."""
        await self._hub.supervisor(request)
        conversation_id = request.match_info["conversation_id"]
        base = f"/video/api/conversations/{conversation_id}/recordings"
        files = self.archive.of(conversation_id)
        return web.json_response({"recordings": [f.to_json(f"{base}/{f.name}") for f in files]})

    async def recording(self, request: web.Request) -> web.FileResponse:
        """One recording (WebM), for supervisors."""
        await self._hub.supervisor(request)
        path = self.archive.path(request.match_info["conversation_id"], request.match_info["name"])
        if path is None:
            raise not_found("The recording")
        return web.FileResponse(path, headers={"Content-Type": "video/webm", "Cache-Control": "private, no-store"})

    async def _sweep(self) -> None:
        while True:
            deleted = await asyncio.to_thread(self.archive.sweep, utcnow())
            if deleted:
                log.info("Deleted %d recording(s) past their retention", len(deleted))
            await asyncio.sleep(SWEEP_SECONDS)
