"""The web chat's way out: replies and queue positions pushed to the citizen's open widgets.

Every reply is stored first and handed over by the outbox, like every channel's. A widget
that is closed restores the reply from the history when it reconnects.
"""

from __future__ import annotations

from channels.base import MAX_REPLY_CHARS, Delivered, HubPort
from channels.webchat.widgets import Widgets, state_frame
from model import Channel, Conversation, Message, MessageStatus

ECHO_WAIT_SECONDS = 2.0
"""How long a reply waits for the echo of the citizen's message it answers (under
`send_timeout`): the widget shows the question first. Only this conversation's sends wait."""


class WebchatOutbound:
    """Pushes to the widgets the inbound side keeps open."""

    send_timeout = 5.0
    sends_per_second = 1000.0
    max_text_chars = MAX_REPLY_CHARS

    def __init__(self, hub: HubPort, widgets: Widgets) -> None:
        self._hub = hub
        self._widgets = widgets

    async def start(self) -> None:
        """Nothing to open: the widgets' sockets are the inbound side's."""

    async def deliver(self, conversation: Conversation, message: Message) -> Delivered:
        """Push the reply to the citizen's open widgets: DELIVERED when one had it, else SENT
        (the widget shows it from the history when it comes back)."""
        await self._widgets.echoed(conversation.sender, ECHO_WAIT_SECONDS)
        frame = {"type": "message", "message": message.for_citizen()}
        pushed = await self._widgets.push(conversation.sender, frame)
        return Delivered(MessageStatus.DELIVERED if pushed else MessageStatus.SENT)

    async def conversation_changed(self, conversation: Conversation) -> None:
        """Show the conversation's state to its widgets, and new places in its queue to the
        web chat citizens waiting behind it (on any channel, someone leaving a queue moves
        them up)."""
        if conversation.channel is Channel.WEBCHAT and self._widgets.is_open(conversation.sender):
            self._widgets.positions[conversation.sender] = (conversation.queue or "", conversation.queue_position)
            await self._widgets.push(conversation.sender, state_frame(conversation))
        for sender, (queue, position) in list(self._widgets.positions.items()):
            if queue != conversation.queue or sender == conversation.sender or position is None:
                continue
            current = await self._hub.conversation(Channel.WEBCHAT, sender)
            if current and current.queue_position != position and self._widgets.is_open(sender):
                self._widgets.positions[sender] = (current.queue or "", current.queue_position)
                await self._widgets.push(sender, state_frame(current))

    async def close(self) -> None:
        """Nothing to close."""
