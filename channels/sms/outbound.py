"""The SMS channel's way out: one reply at a time through Twilio's official REST client.

Twilio's message SID comes back with `Delivered`, so that its delivery reports (to the
inbound side's status webhook) find the message.
"""

from __future__ import annotations

import logging

from channels.base import Delivered, DeliveryFailed
from channels.sms.segments import MAX_CHARS, segments
from channels.sms.sender import TwilioSender
from channels.sms.settings import Settings
from model import Conversation, Message, MessageStatus
from model.masking import mask

log = logging.getLogger(__name__)


def sms_text(message: Message) -> str:
    """The text a citizen reads: SMS has no buttons, so quick replies become words to send back."""
    if not message.actions:
        return message.text
    hints = " ".join(f"[{action.text}]" for action in message.actions)
    with_hints = f"{message.text}\n\n{hints}"
    # The answer matters more than the hint: drop the hint rather than the message.
    return with_hints if len(with_hints) <= MAX_CHARS else message.text


class SmsOutbound:
    """Replies as SMS from the hub's Twilio number."""

    max_text_chars = MAX_CHARS

    def __init__(self, settings: Settings) -> None:
        self.send_timeout = settings.send_timeout
        self.sends_per_second = settings.sends_per_second
        # A little under the outbox's own limit, so a slow Twilio fails here with a clear reason.
        self._sender = TwilioSender(settings, timeout=max(0.5, settings.send_timeout - 1.0))

    async def start(self) -> None:
        """Open the Twilio client."""
        self._sender.open()

    async def deliver(self, conversation: Conversation, message: Message) -> Delivered:
        """Send one reply as SMS; Twilio accepting it makes it SENT, its report DELIVERED later."""
        body = sms_text(message)
        if not body.strip():
            raise DeliveryFailed("The message has no text to send as SMS.", retryable=False)
        count = segments(body)
        if not count.fits:
            raise DeliveryFailed(
                f"The message has {count.characters} characters; an SMS takes at most {MAX_CHARS}.", retryable=False
            )
        sid = await self._sender.send(conversation.sender, body)
        log.info(
            "SMS to %s accepted by Twilio as %s (%d %s segments)",
            mask(conversation.sender),
            sid,
            count.segments,
            count.encoding,
        )
        return Delivered(MessageStatus.SENT, provider_message_id=sid)

    async def conversation_changed(self, conversation: Conversation) -> None:
        """SMS shows the citizen only messages; nothing to do."""

    async def close(self) -> None:
        """Close the Twilio client's HTTP session."""
        await self._sender.close()
