"""The shape every channel adapter has, and what the hub offers adapters.

An adapter authenticates the provider's request, parses it into an `Inbound`, answers the
provider in its own format, and delivers outbound messages. It knows nothing of routing.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from aiohttp import web

from hub.bus import Subscription
from hub.model import Channel, Conversation, Inbound, IngestResult, Message, MessageStatus


class HubPort(Protocol):
    """The hub as a channel adapter sees it."""

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

    def subscribe(self) -> AbstractAsyncContextManager[Subscription]:
        """Every hub event from now on, in order."""

    def texts(self, language: str, prefix: str) -> dict[str, str]:
        """Citizen-facing texts from the message catalogue."""

    async def status_reported(
        self, channel: Channel, provider_message_id: str, status: MessageStatus, error: str | None = None
    ) -> Message | None:
        """A provider's delivery report for an outbound message; None when the id is unknown."""

    async def take_held(self, channel: Channel, sender: str) -> list[Message]:
        """Outbound messages held for the citizen's next contact, now marked delivered."""


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


class ChannelAdapter(Protocol):
    channel: Channel
    send_timeout: float
    """Seconds one `deliver` may take before the outbox counts it as failed and retries."""
    sends_per_second: float
    """The provider's rate limit, which the outbox keeps to."""
    max_text_chars: int
    """The longest reply the channel can carry; an agent's longer reply is refused up front."""

    def routes(self) -> list[web.RouteDef]:
        """The HTTP and WebSocket endpoints the provider or the citizen calls."""

    async def deliver(self, conversation: Conversation, message: Message) -> Delivered:
        """Send one outbound message; raise `DeliveryFailed` when it did not go."""


@runtime_checkable
class BackgroundWork(Protocol):
    """An adapter with work of its own (pushing to sockets, polling a provider)."""

    async def run(self) -> None:
        """Runs until cancelled when the hub stops."""
