"""The calls this process carries, which both sides of the channel share: the inbound side
opens and ends them, the outbound side pushes chat and state to the citizen's page."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from aiohttp import web

from model import Conversation, ConversationState
from sign_video import signalling
from sign_video.media import CallLimit, CallMedia, MediaSettings

SECONDS_PER_PLACE = 180
"""The expected wait the page shows per place in the queue, until the hub measures it."""


def sender_for(token: str) -> str:
    """The citizen's id in the store; the token itself never leaves the page."""
    return "sv-" + hashlib.sha256(token.encode()).hexdigest()[:24]


def state_of(conversation: Conversation) -> signalling.State | None:
    """Where the call stands as the citizen's page shows it: waiting with a place, connected to
    an interpreter, or ended."""
    if conversation.state.waiting and conversation.queue_position:
        position = conversation.queue_position
        return signalling.State("queued", position, position * SECONDS_PER_PLACE)
    if conversation.state is ConversationState.ASSIGNED:
        return signalling.State("connected")
    if conversation.state is ConversationState.RESOLVED:
        return signalling.State("ended")
    return None


@dataclass
class Call:
    """One citizen's call: its conversation, its media and the sockets of both sides."""

    conversation_id: str
    sender: str
    media: CallMedia
    consent: bool
    citizen: web.WebSocketResponse | None = None
    interpreter: web.WebSocketResponse | None = None
    pending: list[str] = field(default_factory=list)
    """Frames for the citizen's page that came before its socket did."""
    shown: signalling.State | None = None
    """The state the citizen's page was last told."""

    async def to_citizen(self, frame: signalling.Frame) -> bool:
        """Send a frame to the citizen's page, or keep it until the page connects."""
        text = signalling.dump(frame)
        if self.citizen is None or self.citizen.closed:
            self.pending.append(text)
            return False
        await self.citizen.send_str(text)
        return True

    async def show(self, conversation: Conversation) -> None:
        """Tell the citizen's page where the call stands, once per change."""
        state = state_of(conversation)
        if state is not None and state != self.shown:
            self.shown = state
            await self.to_citizen(state)

    async def citizen_connected(self, socket: web.WebSocketResponse) -> None:
        self.citizen = socket
        waiting, self.pending = self.pending, []
        for text in waiting:
            await socket.send_str(text)


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

    def open(self, conversation_id: str, sender: str, consent: bool) -> Call:
        """The call for a place taken with `reserve`."""
        call = Call(conversation_id, sender, CallMedia(conversation_id, self.settings), consent)
        self._by_sender[sender] = self._by_conversation[conversation_id] = call
        return call

    def by_sender(self, sender: str) -> Call | None:
        return self._by_sender.get(sender)

    def by_conversation(self, conversation_id: str) -> Call | None:
        return self._by_conversation.get(conversation_id)

    async def end(self, call: Call) -> None:
        """Close the call's media and sockets and forget it; idempotent."""
        if self._by_sender.pop(call.sender, None) is None:
            return
        self._by_conversation.pop(call.conversation_id, None)
        self.release()
        await call.media.close()
        for socket in (call.citizen, call.interpreter):
            if socket is not None and not socket.closed:
                await socket.close()

    def __len__(self) -> int:
        return len(self._by_sender)

    async def close(self) -> None:
        for call in list(self._by_sender.values()):
            await self.end(call)
