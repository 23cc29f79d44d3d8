"""What every channel is made of, and what the hub offers channels.

A channel has two sides, as Rasa separates InputChannel and OutputChannel:
- its `InboundChannel` authenticates the provider's (or the citizen's) request before
  parsing it, turns it into an `Inbound` and hands it to the hub;
- its `OutboundChannel` delivers one stored reply that the outbox hands it, and reports
  what the provider did with it.
Both are built by the channel's `setup(hub, settings)` and started and closed by the hub.
A channel knows nothing of routing or storage: it sees the hub only through `HubPort`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from aiohttp import web

from model import Agent, Channel, Conversation, Inbound, IngestResult, Message, MessageStatus

MAX_REPLY_CHARS = 4000
"""The longest reply the hub lets an agent send; a channel may carry less (SMS)."""


class HubPort(Protocol):
    """The hub as a channel sees it."""

    async def receive(self, inbound: Inbound) -> IngestResult:
        """Store and route a citizen's message (idempotent on its provider id)."""

    async def conversation(self, channel: Channel, sender: str) -> Conversation | None:
        """The sender's latest conversation on this channel."""

    async def history(self, channel: Channel, sender: str) -> tuple[Conversation | None, list[Message]]:
        """The sender's latest conversation and its messages."""

    async def messages_after(self, channel: Channel, sender: str, after: int | None) -> list[Message]:
        """Every message to or from the sender after a message id, across conversations."""

    async def citizen_left(self, channel: Channel, sender: str) -> Conversation | None:
        """The citizen closed the conversation on their side."""

    def texts(self, language: str, prefix: str) -> dict[str, str]:
        """Citizen-facing texts from the message catalogues (the hub's and every channel's)."""

    async def status_reported(
        self, channel: Channel, provider_message_id: str, status: MessageStatus, error: str | None = None
    ) -> Message | None:
        """A provider's delivery report for an outbound message; None when the id is unknown."""

    async def take_held(self, channel: Channel, sender: str) -> list[Message]:
        """Outbound messages held for the citizen's next contact, now marked delivered."""

    async def video_code(self, channel: Channel, sender: str) -> str:
        """A one-time code that opens a sign-language video call from the sender's current
        conversation (the video call joins its contact); 404 when they have none."""

    def redeem_video_code(self, code: str) -> str | None:
        """The conversation a video code was issued for, once; None when unknown, used or expired."""

    async def agent_lost(self, conversation_id: str, agent_id: str) -> Conversation:
        """The agent's side of a call was lost for good: back to the front of the queue, the
        citizen told; nothing when the agent no longer holds the conversation."""

    async def supervisor(self, request: web.Request) -> Agent:
        """The supervisor (or administrator) behind the request; 401 or 403 otherwise."""

    async def agent_holding(self, request: web.Request, conversation_id: str) -> Agent:
        """The agent behind the request (the console's session or a bearer token), who must
        hold the conversation (assigned to them) or be a supervisor; 401, 403 or 404 otherwise.
        For channels whose agents take part directly (the interpreter's side of a video call)."""


@dataclass(frozen=True)
class Delivered:
    """What became of one outbound message that the provider took."""

    status: MessageStatus
    """SENT (the provider accepted it), DELIVERED (the citizen has it) or HELD (kept for the
    citizen's next message, where a channel cannot reach them unasked)."""
    provider_message_id: str | None = None


class DeliveryFailed(Exception):
    """The provider refused the message or could not be reached."""

    def __init__(self, reason: str, retryable: bool = True, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after


class InboundChannel(Protocol):
    """The way in: endpoints the provider or the citizen calls, or a provider it polls."""

    def routes(self) -> list[web.RouteDef]:
        """The HTTP and WebSocket endpoints, each authenticating before it parses."""

    async def start(self) -> None:
        """Begin taking messages (register a webhook, start polling); returns at once."""

    async def close(self) -> None:
        """Stop taking messages and let go of what `start` opened."""


# Where a long text is best cut, in order of preference: paragraph, line, sentence, word.
_BREAKS = ("\n\n", "\n", ". ", "? ", "! ", " ")


def split_text(text: str, limit: int) -> list[str]:
    """Cut a text into pieces of at most `limit` characters, at the most natural break: a
    provider's limit splits a long answer into several messages, never cuts it."""
    text = text.strip()
    pieces: list[str] = []
    while len(text) > limit:
        window = text[: limit + 1]
        cut = 0
        for mark in _BREAKS:
            found = window.rfind(mark, 0, limit + 1)
            # A break in the first half would leave many tiny bubbles: cut harder instead.
            if found >= limit // 2:
                cut = min(found + len(mark.rstrip()), limit)
                break
        if cut == 0:
            cut = limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        pieces.append(text)
    return pieces


class OutboundChannel(Protocol):
    """The way out: the outbox hands it one stored reply at a time, in order per conversation."""

    send_timeout: float
    """Seconds one `deliver` may take before the outbox counts it as failed and retries."""
    sends_per_second: float
    """The provider's rate limit, which the outbox keeps to."""
    max_text_chars: int
    """The longest reply the channel carries; an agent's longer reply is refused up front."""

    async def start(self) -> None:
        """Open what delivering needs (a client session); returns at once."""

    async def deliver(self, conversation: Conversation, message: Message) -> Delivered:
        """Send one outbound message; raise `DeliveryFailed` when it did not go."""

    async def conversation_changed(self, conversation: Conversation) -> None:
        """The hub tells every channel of every conversation change (state, queue position);
        a channel that shows them to the citizen (the web chat's queue position) does."""

    async def close(self) -> None:
        """Let go of what `start` opened."""


@dataclass(frozen=True)
class ChannelParts:
    """One configured channel as its `setup` builds it."""

    channel: Channel
    inbound: InboundChannel
    outbound: OutboundChannel


@dataclass(frozen=True)
class ChannelInfo:
    """What a channel is, from its package's `__init__`: the registry reads these."""

    channel: Channel
    label: str
    """The channel's name as agents see it in the console (Korean)."""
    messages: Path | None = None
    """The folder of the channel's own citizen-facing texts (`<language>.json`), if any."""
