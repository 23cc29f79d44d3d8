"""The calls this process carries, which both sides of the channel share: the inbound side
opens and ends them, the outbound side pushes chat and state to the citizen's page."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

from model import Conversation, ConversationState
from sign_video import signalling
from sign_video.media import CallLimit, CallMedia, MediaSettings, SideState
from sign_video.signalling import Side

log = logging.getLogger(__name__)

SECONDS_PER_PLACE = 180
"""The expected wait the page shows per place in the queue, until the hub measures it."""

ENDED = 4410
"""The socket close code once the call is over."""
REPLACED = 4409
"""The socket close code for a side that another socket took over (a reconnect, a transfer)."""


def sender_for(token: str) -> str:
    """The citizen's id in the store; the token itself never leaves the page."""
    return "sv-" + hashlib.sha256(token.encode()).hexdigest()[:24]


def state_of(conversation: Conversation) -> signalling.State | None:
    """Where the call stands as the citizen's page shows it: waiting with a place, connected to
    an interpreter, or ended."""
    # An offered call is the next one an interpreter takes; it has no place in the queue itself.
    position = 1 if conversation.state is ConversationState.OFFERED else conversation.queue_position
    if conversation.state.waiting and position:
        return signalling.State("queued", position, position * SECONDS_PER_PLACE)
    if conversation.state is ConversationState.ASSIGNED:
        return signalling.State("connected")
    if conversation.state is ConversationState.RESOLVED:
        return signalling.State("ended")
    return None


@dataclass
class Call:
    """One citizen's call: its conversation, its media, the sockets of both sides and the
    timers that end or requeue it when a side does not come back."""

    conversation_id: str
    sender: str
    media: CallMedia
    consent: bool
    citizen: web.WebSocketResponse | None = None
    interpreter: web.WebSocketResponse | None = None
    interpreter_id: str | None = None
    """The agent whose console carries the interpreter's side (kept while it reconnects)."""
    pending: list[str] = field(default_factory=list)
    """Frames for the citizen's page that came while it had no socket."""
    shown: signalling.State | None = None
    """The state the citizen's page was last told."""
    timers: dict[str, asyncio.Task[None]] = field(default_factory=dict)

    async def to_citizen(self, frame: signalling.Frame) -> bool:
        """Send a frame to the citizen's page, or keep it until the page (re)connects."""
        text = signalling.dump(frame)
        if self.citizen is not None and await _sent(self.citizen, text):
            return True
        self.pending.append(text)
        return False

    async def to_interpreter(self, frame: signalling.Frame) -> None:
        """Send a frame to the interpreter's console, when it is connected."""
        if self.interpreter is not None:
            await _sent(self.interpreter, signalling.dump(frame))

    async def tell(self, state: signalling.State) -> None:
        """Tell the citizen's page where the call stands, unless it already knows."""
        if state != self.shown:
            self.shown = state
            await self.to_citizen(state)

    async def show(self, conversation: Conversation) -> None:
        """Tell the citizen's page where the conversation puts the call."""
        if (state := state_of(conversation)) is not None:
            await self.tell(state)

    async def citizen_connected(self, socket: web.WebSocketResponse) -> None:
        """The page's socket, new or after a network change; an older one of the same call is
        closed. What came meanwhile is sent, and the state shown again."""
        old, self.citizen = self.citizen, socket
        if old is not None and old is not socket and not old.closed:
            await old.close(code=REPLACED, message=b"the call continues on another connection")
        waiting, self.pending, self.shown = self.pending, [], None
        for text in waiting:
            await socket.send_str(text)

    async def interpreter_connected(self, socket: web.WebSocketResponse, agent_id: str) -> None:
        """The interpreter's console socket; an older one is closed."""
        old, self.interpreter, self.interpreter_id = self.interpreter, socket, agent_id
        if old is not None and old is not socket and not old.closed:
            await old.close(code=REPLACED, message=b"the call continues on another connection")

    async def drop_interpreter(self) -> None:
        """The conversation left the interpreter (transferred, requeued): close their socket."""
        socket, self.interpreter, self.interpreter_id = self.interpreter, None, None
        self.cancel("interpreter")
        if socket is not None and not socket.closed:
            await socket.close(code=REPLACED, message=b"the conversation moved to another interpreter")

    def later(self, name: str, delay: float, action: Callable[[], Awaitable[object]]) -> None:
        """Run `action` after `delay` seconds unless cancelled; replaces a timer of that name."""
        self.cancel(name)

        async def run() -> None:
            await asyncio.sleep(delay)
            try:
                await action()
            except Exception:  # a timer has nobody to report to but the log
                log.exception("The %s timer of call %s failed", name, self.conversation_id)

        self.timers[name] = asyncio.create_task(run())

    def cancel(self, name: str) -> None:
        timer = self.timers.pop(name, None)
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()

    def report_quality(self, interval: float) -> None:
        """From now on, both sides get the call's quality every `interval` seconds."""
        if "quality" not in self.timers:
            self.timers["quality"] = asyncio.create_task(self._report_quality(interval))

    async def _report_quality(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            quality = signalling.dump(await self.media.stats())
            for socket in (self.citizen, self.interpreter):
                if socket is not None:
                    await _sent(socket, quality)

    async def stop_timers(self) -> None:
        for timer in self.timers.values():
            if timer is not asyncio.current_task():
                timer.cancel()
        await asyncio.gather(*(t for t in self.timers.values() if t is not asyncio.current_task()),
                             return_exceptions=True)  # fmt: skip
        self.timers.clear()


async def _sent(socket: web.WebSocketResponse, text: str) -> bool:
    """Whether the text went out: a socket closing under a network change takes nothing."""
    if socket.closed:
        return False
    try:
        await socket.send_str(text)
    except ConnectionError:
        return False
    return True


class Calls:
    """Open calls by sender and by conversation; at most `max_calls` at once."""

    def __init__(self, settings: MediaSettings) -> None:
        self.settings = settings
        self._limit = CallLimit(settings.max_calls)
        self._by_sender: dict[str, Call] = {}
        self._by_conversation: dict[str, Call] = {}

    def reserve(self) -> bool:
        """Take a place for a new call before its conversation is stored; False when this
        process carries as many calls as it may. `open` fills the place, `release` gives it up."""
        return self._limit.try_acquire()

    def release(self) -> None:
        self._limit.release()

    def open(
        self,
        conversation_id: str,
        sender: str,
        consent: bool,
        on_media: Callable[[Call, Side, SideState], None] | None = None,
    ) -> Call:
        """The call for a place taken with `reserve`; `on_media` hears of each side's media
        state (connected, lost …)."""

        def heard(side: Side, state: SideState) -> None:
            if on_media is not None:
                on_media(call, side, state)  # `call` is bound below, before any media state changes

        call = Call(conversation_id, sender, CallMedia(conversation_id, self.settings, on_state=heard), consent)
        self._by_sender[sender] = self._by_conversation[conversation_id] = call
        return call

    def by_sender(self, sender: str) -> Call | None:
        return self._by_sender.get(sender)

    def by_conversation(self, conversation_id: str) -> Call | None:
        return self._by_conversation.get(conversation_id)

    def carries(self, call: Call) -> bool:
        """Whether the call is still open in this process."""
        return self._by_sender.get(call.sender) is call

    async def end(self, call: Call) -> None:
        """Close the call's media, timers and sockets and forget it; idempotent."""
        if self._by_sender.pop(call.sender, None) is None:
            return
        self._by_conversation.pop(call.conversation_id, None)
        self.release()
        await call.stop_timers()
        await call.media.close()
        # Together: a close waits for the other end's reply, and one side must not hold up the other.
        open_sockets = [s for s in (call.citizen, call.interpreter) if s is not None and not s.closed]
        await asyncio.gather(*(s.close(code=ENDED, message=b"the call has ended") for s in open_sockets))

    def __len__(self) -> int:
        return len(self._by_sender)

    async def close(self) -> None:
        for call in list(self._by_sender.values()):
            await self.end(call)
