"""The API channel's way out: nothing to send, the integration collects its replies."""

from __future__ import annotations

from channels.base import MAX_REPLY_CHARS, Delivered
from model import Conversation, Message, MessageStatus


class ApiOutbound:
    """Replies go through the outbox like every channel's; `deliver` only marks them ready:
    the integration reads them in its POST's answer (bot replies) or by polling
    GET /api/v1/channels/api/messages."""

    send_timeout = 5.0
    sends_per_second = 1000.0
    max_text_chars = MAX_REPLY_CHARS

    async def start(self) -> None:
        """Nothing to open."""

    async def deliver(self, conversation: Conversation, message: Message) -> Delivered:
        """The message is ready for the integration's next poll."""
        return Delivered(MessageStatus.SENT)

    async def conversation_changed(self, conversation: Conversation) -> None:
        """The integration polls for the state; nothing to push."""

    async def close(self) -> None:
        """Nothing to close."""
